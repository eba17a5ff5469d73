/**
 * The mergekit parity check: run a golden recipe and compare the output with the expected
 * tensors by the rules of test-data/golden/README.md (exact within rtol, tie indices skipped;
 * one bf16 ulp for bf16 output; statistics of the task vector for the random methods).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeToF32 } from '../../workers/io/dtypes.ts';
import { loadModel, type LoadedModel } from '../../workers/io/load-model.ts';
import { folderModelSource, folderResolver } from '../../workers/io/node/fs-source.ts';
import { folderSink } from '../../workers/io/node/fs-sink.ts';
import { runMerge } from '../../workers/engine/run-merge.ts';
import { loadRecipe } from '../../workers/plan/recipe-yaml.ts';
import type { MergeResult } from '../../workers/protocol.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const GOLDEN_DIR = path.join(ROOT, 'test-data/golden');
export const MODELS_DIR = path.join(ROOT, 'test-data/tinymix');

interface TensorStats {
  shape: number[];
  dtype: string;
  tie_indices?: number[];
  rtol?: number;
  base_tensor?: string;
  numel?: number;
  tv_nonzero_frac_mean?: number;
  tv_nonzero_frac_sd?: number;
  tv_nonzero_frac_range?: [number, number];
  tv_l1_mean?: number;
  tv_l1_sd?: number;
  tv_l1_range?: [number, number];
  tv_l2_mean?: number;
  tv_l2_sd?: number;
  tv_l2_range?: [number, number];
}

export interface GoldenStats {
  merge_method: string;
  base_model?: string;
  random: boolean;
  num_hidden_layers: number;
  out_dtype: string;
  compare: { mode: 'exact' | 'statistical'; rtol: number };
  tensors: Record<string, TensorStats>;
}

export interface GoldenOutcome {
  readonly recipe: string;
  readonly ok: boolean;
  readonly failures: readonly string[];
  /** Worst error relative to the tolerance over all tensors (exact mode), for the summary. */
  readonly worst: number;
  /**
   * The same over the tensors without an rtol of their own (sce's, whose model weights the
   * choice among tied elements moves): where the golden set pins every bit outside the ties.
   */
  readonly worstPinned: number;
  /** How the recipe is compared: exact (rtol), one bf16 ulp, or statistics (random methods). */
  readonly mode: 'exact' | 'bf16-ulp' | 'statistical';
  readonly result: MergeResult;
}

export async function goldenRecipes(): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  return (await readdir(GOLDEN_DIR, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

async function tensorF32(model: LoadedModel, name: string): Promise<Float32Array> {
  const t = model.tensors.get(name)!;
  const src = await model.source.open(t.file);
  return decodeToF32(await src.read(t.begin, t.end - t.begin), t.dtype);
}

export async function runGolden(recipeName: string, outDir: string): Promise<GoldenOutcome> {
  const dir = path.join(GOLDEN_DIR, recipeName);
  const text = await readFile(path.join(dir, 'recipe.yml'), 'utf8');
  const { recipe } = loadRecipe(text, `${recipeName}/recipe.yml`);
  const result = await runMerge({
    recipe,
    recipeText: text,
    resolve: folderResolver(MODELS_DIR),
    sink: folderSink(outDir),
    outputName: recipeName,
    seed: 1234,
  });
  const stats = JSON.parse(await readFile(path.join(dir, 'stats.json'), 'utf8')) as GoldenStats;
  const { failures, worst, worstPinned } = await compareOutput(outDir, path.join(dir, 'expected'), stats);
  const mode =
    stats.compare.mode === 'statistical'
      ? 'statistical'
      : stats.out_dtype === 'bfloat16'
        ? 'bf16-ulp'
        : 'exact';
  return { recipe: recipeName, ok: failures.length === 0, failures, worst, worstPinned, mode, result };
}

export async function compareOutput(
  outDir: string,
  expectedDir: string,
  stats: GoldenStats,
): Promise<{ failures: string[]; worst: number; worstPinned: number }> {
  const failures: string[] = [];
  const out = await loadModel(folderModelSource('output', outDir));
  const exp = await loadModel(folderModelSource('expected', expectedDir));
  const layers = out.config['num_hidden_layers'];
  if (layers !== stats.num_hidden_layers)
    failures.push(`config num_hidden_layers ${String(layers)} != ${stats.num_hidden_layers}`);
  const names = [...exp.tensors.keys()].sort();
  const got = [...out.tensors.keys()].sort();
  for (const n of got) if (!exp.tensors.has(n)) failures.push(`extra tensor ${n}`);
  let worst = 0;
  let worstPinned = 0;
  const base =
    stats.random && stats.base_model
      ? await loadModel(folderModelSource('base', path.join(MODELS_DIR, stats.base_model)))
      : undefined;
  for (const name of names) {
    const e = exp.tensors.get(name)!;
    const o = out.tensors.get(name);
    if (!o) {
      failures.push(`missing tensor ${name}`);
      continue;
    }
    if (o.dtype !== e.dtype || JSON.stringify(o.shape) !== JSON.stringify(e.shape)) {
      failures.push(
        `${name}: ${o.dtype} ${JSON.stringify(o.shape)}, expected ${e.dtype} ${JSON.stringify(e.shape)}`,
      );
      continue;
    }
    const ts = stats.tensors[name]!;
    const ov = await tensorF32(out, name);
    const ev = await tensorF32(exp, name);
    if (stats.compare.mode === 'statistical') {
      const bv = await tensorF32(base!, ts.base_tensor ?? name);
      failures.push(...statisticalCheck(name, ov, bv, ts));
    } else if (e.dtype === 'BF16') {
      const r = bf16Check(name, ov, ev);
      if (r) failures.push(r);
    } else {
      const r = exactCheck(name, ov, ev, ts.rtol ?? stats.compare.rtol, new Set(ts.tie_indices ?? []));
      worst = Math.max(worst, r.ratio);
      if (ts.rtol === undefined) worstPinned = Math.max(worstPinned, r.ratio);
      if (r.failure) failures.push(r.failure);
    }
  }
  return { failures, worst, worstPinned };
}

function exactCheck(
  name: string,
  out: Float32Array,
  exp: Float32Array,
  rtol: number,
  ties: Set<number>,
): { ratio: number; failure?: string } {
  let maxExp = 0;
  for (const v of exp) maxExp = Math.max(maxExp, Math.abs(v));
  let maxErr = 0;
  let at = -1;
  for (let i = 0; i < exp.length; i++) {
    if (ties.has(i)) continue;
    const d = Math.abs(out[i]! - exp[i]!);
    if (!(d <= maxErr)) {
      maxErr = d;
      at = i;
    }
  }
  const tol = rtol * maxExp;
  const ratio = tol > 0 ? maxErr / tol : maxErr === 0 ? 0 : Infinity;
  return ratio <= 1
    ? { ratio }
    : {
        ratio,
        failure: `${name}: max error ${maxErr.toExponential(3)} at ${at} (got ${out[at]}, expected ${exp[at]}) > ${tol.toExponential(3)}`,
      };
}

/** One bf16 unit in the last place: 2^(exponent - 7). */
function bf16Check(name: string, out: Float32Array, exp: Float32Array): string | undefined {
  for (let i = 0; i < exp.length; i++) {
    const e = exp[i]!;
    const ulp = e === 0 ? 2 ** -133 : 2 ** (Math.floor(Math.log2(Math.abs(e))) - 7);
    if (Math.abs(out[i]! - e) > ulp * 1.0000001)
      return `${name}[${i}]: ${out[i]} vs ${e} (more than one bf16 ulp)`;
  }
  return undefined;
}

/** Inside the range seen over the reference seeds, widened by its width on each side. */
function inRange(v: number, r?: [number, number]): boolean {
  if (!r) return false;
  const w = r[1] - r[0];
  return v >= r[0] - w && v <= r[1] + w;
}

function statisticalCheck(name: string, out: Float32Array, base: Float32Array, s: TensorStats): string[] {
  const n = out.length;
  let nz = 0;
  let l1 = 0;
  let l2 = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.fround(out[i]! - base[i]!);
    if (d !== 0) nz++;
    l1 += Math.abs(d);
    l2 += d * d;
  }
  const frac = nz / n;
  l2 = Math.sqrt(l2);
  const fails: string[] = [];
  const p = s.tv_nonzero_frac_mean!;
  const sigma = Math.max(Math.sqrt((p * (1 - p)) / n), s.tv_nonzero_frac_sd ?? 0);
  if (Math.abs(frac - p) > 4 * sigma && !inRange(frac, s.tv_nonzero_frac_range)) {
    fails.push(`${name}: nonzero fraction ${frac.toFixed(4)} vs ${p.toFixed(4)} ± ${(4 * sigma).toFixed(4)}`);
  }
  const l1tol = Math.max(0.02 * s.tv_l1_mean!, 4 * (s.tv_l1_sd ?? 0));
  if (Math.abs(l1 - s.tv_l1_mean!) > l1tol && !inRange(l1, s.tv_l1_range)) {
    fails.push(`${name}: L1 ${l1.toFixed(4)} vs ${s.tv_l1_mean!.toFixed(4)} ± ${l1tol.toFixed(4)}`);
  }
  const l2tol = Math.max(5 * (s.tv_l2_sd ?? 0), 0.001 * s.tv_l2_mean!);
  if (Math.abs(l2 - s.tv_l2_mean!) > l2tol && !inRange(l2, s.tv_l2_range)) {
    fails.push(`${name}: L2 ${l2.toFixed(5)} vs ${s.tv_l2_mean!.toFixed(5)} ± ${l2tol.toFixed(5)}`);
  }
  return fails;
}
