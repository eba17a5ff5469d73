/**
 * Measurements of the evaluation engine (docs/eval.md reports them):
 *   tsx scripts/bench-eval.ts gemm        matmul GFLOP/s, WebAssembly SIMD and plain JS
 *   tsx scripts/bench-eval.ts throughput  tokens/s of a full evaluation, effective GFLOP/s
 *   tsx scripts/bench-eval.ts losses      all 24 (model, text) losses through the CLI vs tinymix-losses.json
 *   tsx scripts/bench-eval.ts subset      how K-window subsets track the full loss
 *   tsx scripts/bench-eval.ts sweep [full] the acceptance sweep: timing, chart, best point on the full texts
 *   tsx scripts/bench-eval.ts generate    tokens/s of generation
 * `losses` exits 1 when a loss is off by 1e-3 or more.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  createEvaluator,
  evaluateTexts,
  loadEvalModel,
  meanLoss,
  tokenizeTexts,
} from '../workers/eval/evaluate.ts';
import { createGenerator, generate } from '../workers/eval/generate.ts';
import { Arena } from '../workers/eval/kernels/arena.ts';
import { matmulFor, packedSize, type PackedMatrix } from '../workers/eval/kernels/matmul.ts';
import { pickWindows } from '../workers/eval/loss.ts';
import { EvalSession } from '../workers/eval/sweep/eval-session.ts';
import { applySweepPoint, linspace, type SweepAxis } from '../workers/eval/sweep/sweep-points.ts';
import { runSweep, SWEEP_WINDOWS } from '../workers/eval/sweep/sweep.ts';
import {
  evalText,
  MODEL_NAMES,
  REFERENCE_LOSSES,
  TEXT_NAMES,
  TINYMIX,
} from '../workers/eval/test-helpers.ts';
import { folderModelSource, folderResolver } from '../workers/io/node/fs-source.ts';
import { loadRecipe } from '../workers/plan/recipe-yaml.ts';

const out = (s = ''): boolean => process.stdout.write(`${s}\n`);

function random(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = Math.random() - 0.5;
  return a;
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

/** The indices of `xs` from smallest to largest, as a comparable string. */
function order(xs: readonly number[]): string {
  return xs
    .map((x, i) => [x, i] as const)
    .sort((a, b) => a[0] - b[0])
    .map((p) => p[1])
    .join();
}
const modelDir = (m: string): string => path.join(TINYMIX, `tinymix-${m}`);

function gemm(): void {
  const rows = 512;
  const shapes: [string, number, number][] = [
    ['q|k|v 256x128', 256, 128],
    ['o 128x128', 128, 128],
    ['gate|up 704x128', 704, 128],
    ['down 128x352', 128, 352],
    ['lm_head 260x128', 260, 128],
    ['scores 128 keys x 32', 128, 32],
  ];
  out('| matrix (out x in), 512 rows | WebAssembly SIMD | plain JS |');
  out('|---|---|---|');
  for (const [name, n, k] of shapes) {
    const cells = (['auto', 'js'] as const).map((backend) => {
      const arena = Arena.create(rows * k + packedSize(n, k) + rows * n + 4096, backend);
      const mm = matmulFor(arena, 64);
      const x = random(arena.alloc(rows * k));
      const w: PackedMatrix = { n, k, data: random(arena.alloc(packedSize(n, k))), bias: undefined };
      const y = arena.alloc(rows * n);
      for (let i = 0; i < 3; i++) mm.run(x, k, w, y, n, rows);
      // CPU time, not wall time: the machine may be shared.
      const cpu = process.cpuUsage();
      const used = (): number => {
        const u = process.cpuUsage(cpu);
        return (u.user + u.system) / 1e6;
      };
      let reps = 0;
      while (used() < 0.5) {
        mm.run(x, k, w, y, n, rows);
        reps++;
      }
      return ((2 * rows * n * k * reps) / used() / 1e9).toFixed(1);
    });
    out(`| ${name} | ${cells[0]} GFLOP/s | ${cells[1]} GFLOP/s |`);
  }
}

/**
 * FLOPs per token of tinymix in 128-token windows: projections, attention over the 64.5 keys a
 * query sees on average (QK and PV, 4 heads of 32), the output head; 2 per multiply-add.
 */
function flopsPerToken(): number {
  const layer = 128 * (128 + 64 + 64) + 128 * 128 + 3 * 128 * 352 + 2 * 4 * 32 * 64.5;
  return 2 * (4 * layer + 260 * 128);
}

async function throughput(): Promise<void> {
  const { weights, tokenizer } = await loadEvalModel(folderModelSource('code', modelDir('code')));
  const texts = tokenizeTexts(
    tokenizer,
    TEXT_NAMES.map((t) => ({ name: t, text: evalText(t) })),
  );
  for (const backend of ['auto', 'js'] as const) {
    const d = createEvaluator(weights, { backend });
    const t0 = performance.now();
    const cpu = process.cpuUsage();
    const r = await evaluateTexts(d, backend === 'js' ? texts.slice(3) : texts);
    const used = process.cpuUsage(cpu);
    const s = (performance.now() - t0) / 1000;
    const tokens = r.reduce((a, x) => a + x.tokens, 0);
    const cpuS = (used.user + used.system) / 1e6;
    out(`${d.matmul.kind}: ${tokens} tokens in ${s.toFixed(2)} s wall, ${cpuS.toFixed(2)} s CPU = ${Math.round(tokens / cpuS)} tokens per CPU second, ` +
      `${((tokens * flopsPerToken()) / cpuS / 1e9).toFixed(1)} GFLOP/s effective (${(flopsPerToken() / 1e6).toFixed(2)} MFLOP/token)`); // prettier-ignore
  }
}

async function losses(): Promise<boolean> {
  const bin = path.resolve(import.meta.dirname, '../bin/merge-studio.mjs');
  const args = TEXT_NAMES.flatMap((t) => ['--text', path.join(TINYMIX, `eval-${t}.txt`)]);
  let worst = 0;
  const t0 = performance.now();
  out(`| model | ${TEXT_NAMES.join(' | ')} |`);
  out(`|---|${TEXT_NAMES.map(() => '---').join('|')}|`);
  for (const m of MODEL_NAMES) {
    const { stdout } = await promisify(execFile)(process.execPath, [
      bin,
      'eval',
      modelDir(m),
      ...args,
      '--json',
    ]);
    const rows = JSON.parse(stdout) as { loss: number }[];
    const cells = TEXT_NAMES.map((t, i) => {
      const d = rows[i]!.loss - REFERENCE_LOSSES[m][t];
      worst = Math.max(worst, Math.abs(d));
      return `${rows[i]!.loss.toFixed(4)} (${d >= 0 ? '+' : ''}${d.toExponential(0)})`;
    });
    out(`| ${m} | ${cells.join(' | ')} |`);
  }
  const ok = worst < 1e-3;
  out(`\n24 pairs through the CLI in ${((performance.now() - t0) / 1000).toFixed(1)} s; largest difference ${worst.toExponential(1)}: ${ok ? 'all within 1e-3' : 'FAIL'}`); // prettier-ignore
  return ok;
}

async function subset(): Promise<void> {
  const full = new Map<string, Float64Array>();
  for (const m of MODEL_NAMES) {
    const { weights, tokenizer } = await loadEvalModel(folderModelSource(m, modelDir(m)));
    const r = await evaluateTexts(createEvaluator(weights), tokenizeTexts(tokenizer, TEXT_NAMES.map((t) => ({ name: t, text: evalText(t) })))); // prettier-ignore
    r.forEach((x, i) => full.set(`${m}/${TEXT_NAMES[i]}`, x.windowLosses));
  }
  out('| windows per text | pick | largest error (nats) | mean abs error | model order kept on texts |');
  out('|---|---|---|---|---|');
  for (const k of [4, 8, 16, 24, 32, 48]) {
    for (const pick of ['first', 'spread'] as const) {
      let worst = 0;
      let sum = 0;
      let ordered = 0;
      for (const t of TEXT_NAMES) {
        const est = MODEL_NAMES.map((m) => {
          const w = full.get(`${m}/${t}`)!;
          const e = mean([...pickWindows(w.length, k, pick)].map((i) => w[i]!)) - mean(w);
          worst = Math.max(worst, Math.abs(e));
          sum += Math.abs(e);
          return mean(w) + e;
        });
        if (order(est) === order(MODEL_NAMES.map((m) => mean(full.get(`${m}/${t}`)!)))) ordered++;
      }
      out(`| ${k} | ${pick} | ${worst.toFixed(3)} | ${(sum / 24).toFixed(3)} | ${ordered} of 4 |`);
    }
  }
}

const RECIPE = `merge_method: task_arithmetic
base_model: tinymix-base
models:
  - model: tinymix-code
    parameters: {weight: 0.5}
  - model: tinymix-math
    parameters: {weight: 0.5}
dtype: float32
`;
const T: SweepAxis = {
  label: 't',
  values: linspace(0, 1, 11),
  targets: [
    { model: 'tinymix-code', param: 'weight' },
    { model: 'tinymix-math', param: 'weight', scale: -1, offset: 1 },
  ],
};

async function sweep(fullTexts: boolean): Promise<void> {
  const { recipe } = loadRecipe(RECIPE);
  const texts = (['code', 'math'] as const).map((t) => ({ name: t, text: evalText(t) }));
  const resolve = folderResolver(TINYMIX);
  const times: string[] = [];
  let last;
  for (let i = 0; i < 3; i++) {
    const cpu = process.cpuUsage();
    last = await runSweep({
      recipe,
      axes: [T],
      texts,
      resolve,
      ...(fullTexts && { windows: 'all' as const }),
    });
    const used = process.cpuUsage(cpu);
    times.push(
      `${(last.elapsedMs / 1000).toFixed(2)} s (CPU ${((used.user + used.system) / 1e6).toFixed(2)} s)`,
    );
    if (fullTexts) break;
  }
  const r = last!;
  out(`11-point sweep, ${fullTexts ? 'all windows' : `${SWEEP_WINDOWS} spread windows per text`}: ${times.join(', ')}; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`); // prettier-ignore
  const session = await EvalSession.open(['tinymix-base', 'tinymix-code', 'tinymix-math'], resolve, texts);
  out('\n| t (code weight; math 1 - t) | code | math | mean | full texts: code | math | mean |');
  out('|---|---|---|---|---|---|---|');
  for (const p of r.points) {
    const f = fullTexts ? p.scores : await session.evaluateRecipe(applySweepPoint(recipe, [T], p.values));
    const cells = [...p.scores.map((s) => s.loss), p.mean, ...f.map((s) => s.loss), meanLoss(f)].map((x) =>
      x.toFixed(3),
    );
    out(`| ${p.values[0]}${p === r.best ? ' (best)' : ''} | ${cells.join(' | ')} |`);
  }
  const width = 50;
  const lo = Math.min(...r.points.map((p) => p.mean));
  const hi = Math.max(...r.points.map((p) => p.mean));
  out('\n```');
  out(
    `mean loss (${fullTexts ? 'all' : SWEEP_WINDOWS} windows per text), t = code weight, math weight = 1 - t`,
  );
  for (const p of r.points) {
    const bar = '#'.repeat(1 + Math.round(((p.mean - lo) / (hi - lo)) * (width - 1)));
    out(`t=${p.values[0]!.toFixed(1)} ${p.mean.toFixed(3)} ${bar}${p === r.best ? '  <- best' : ''}`);
  }
  out('```');
}

async function generation(): Promise<void> {
  const { weights, tokenizer } = await loadEvalModel(folderModelSource('base', modelDir('base')));
  const d = createGenerator(weights, 512);
  const prompt = [256, ...tokenizer.encode('The ')];
  await generate(d, prompt, weights.config, { maxNewTokens: 50, stopIds: [] });
  const t0 = performance.now();
  const g = await generate(d, prompt, weights.config, { maxNewTokens: 400, stopIds: [] });
  const s = (performance.now() - t0) / 1000;
  out(
    `generated ${g.ids.length} tokens in ${s.toFixed(2)} s: ${Math.round(g.ids.length / s)} tokens/s (KV cache, greedy)`,
  );
}

const cmd = process.argv[2] ?? 'all';
const run: Record<string, () => Promise<unknown>> = {
  gemm: () => Promise.resolve(gemm()),
  throughput,
  losses,
  subset,
  sweep: () => sweep(process.argv[3] === 'full'),
  generate: generation,
};
if (cmd === 'all') {
  for (const [name, f] of Object.entries(run)) {
    out(`\n## ${name}\n`);
    await f();
  }
} else if (run[cmd]) {
  const ok = await run[cmd]();
  if (ok === false) process.exitCode = 1;
} else {
  process.stderr.write(`unknown benchmark ${cmd}: ${Object.keys(run).join(', ')} or all\n`);
  process.exitCode = 2;
}
