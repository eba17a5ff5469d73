/**
 * `npm run bench:browser`: a three-input TIES merge (base + two fine-tunes) of synthetic
 * Llama-shaped models of about 1 GB each, served by the local hub and merged in headless
 * Chromium into OPFS (on disk: a persistent profile). Prints the wall time, the time to only
 * read the same inputs (same blocks and pipelining, nothing merged or written), throughput, and
 * the peak memory (PSS) of all the browser's processes, then repeats with models twice as deep
 * to show that memory does not grow with model size.
 *
 *   npm run bench:browser                      1 GB per input, then 2 GB
 *   npm run bench:browser -- --layers 6 --once smaller, one size only (a quick look)
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { encodeFromF32 } from '../workers/io/dtypes.ts';
import { planSafetensorsFile } from '../workers/io/safetensors/layout.ts';
import { mix32 } from '../workers/rng.ts';
import { startHubServer } from '../server/hub-server.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/support/chromium.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '12' },
    once: { type: 'boolean', default: false },
    keep: { type: 'boolean' },
  },
});

/** TinyLlama-like shapes: hidden 2048, MLP 5632, 4 KV heads of 64, vocab 32000 (~88 MB a layer). */
const HIDDEN = 2048;
const MLP = 5632;
const KV = 256;
const VOCAB = 32000;

function tensorsOf(layers: number): { name: string; shape: number[] }[] {
  const t = [
    { name: 'model.embed_tokens.weight', shape: [VOCAB, HIDDEN] },
    { name: 'lm_head.weight', shape: [VOCAB, HIDDEN] },
    { name: 'model.norm.weight', shape: [HIDDEN] },
  ];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}.`;
    t.push(
      { name: `${p}input_layernorm.weight`, shape: [HIDDEN] },
      { name: `${p}post_attention_layernorm.weight`, shape: [HIDDEN] },
      { name: `${p}self_attn.q_proj.weight`, shape: [HIDDEN, HIDDEN] },
      { name: `${p}self_attn.k_proj.weight`, shape: [KV, HIDDEN] },
      { name: `${p}self_attn.v_proj.weight`, shape: [KV, HIDDEN] },
      { name: `${p}self_attn.o_proj.weight`, shape: [HIDDEN, HIDDEN] },
      { name: `${p}mlp.gate_proj.weight`, shape: [MLP, HIDDEN] },
      { name: `${p}mlp.up_proj.weight`, shape: [MLP, HIDDEN] },
      { name: `${p}mlp.down_proj.weight`, shape: [HIDDEN, MLP] },
    );
  }
  return t.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Writes a BF16 model: base values ~ U(-0.04, 0.04), fine-tunes = base + U(-0.004, 0.004). */
async function writeModel(dir: string, layers: number, seed: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  const specs = tensorsOf(layers);
  const layout = planSafetensorsFile(specs.map((s) => ({ ...s, dtype: 'BF16' as const })));
  const out = createWriteStream(path.join(dir, 'model.safetensors'));
  const write = (b: Uint8Array) => new Promise<void>((res, rej) => out.write(b, (e) => (e ? rej(e) : res())));
  await write(layout.header);
  for (const e of layout.entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const f = new Float32Array(n);
    const salt = mix32(e.offset);
    for (let i = 0; i < n; i++) {
      const b = ((mix32(i ^ salt) & 0xffff) / 65536 - 0.5) * 0.08;
      f[i] = seed === 0 ? b : b + ((mix32(i ^ salt ^ mix32(seed)) & 0xffff) / 65536 - 0.5) * 0.008;
    }
    await write(encodeFromF32(f, 'BF16'));
  }
  await new Promise<void>((res) => out.end(res));
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: HIDDEN,
    intermediate_size: MLP,
    num_hidden_layers: layers,
    num_attention_heads: 32,
    num_key_value_heads: 4,
    vocab_size: VOCAB,
    torch_dtype: 'bfloat16',
    tie_word_embeddings: false,
  };
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  return layout.totalSize;
}

/** PSS of a process tree (MB), from /proc (Linux). */
async function treePss(rootPid: number): Promise<number> {
  const children = new Map<number, number[]>();
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    stack.push(...(children.get(pid) ?? []));
    try {
      const m = /Pss:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'));
      total += m ? Number(m[1]) : 0;
    } catch {
      // gone
    }
  }
  return total / 1024;
}

const RECIPE = `merge_method: ties
base_model: base
models:
  - model: ft1
    parameters: {weight: 0.5, density: 0.5}
  - model: ft2
    parameters: {weight: 0.5, density: 0.5}

`;

async function runSize(layers: number, pageUrl: string): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-models-'));
  const profile = await mkdtemp(path.join(os.tmpdir(), 'bench-profile-'));
  const t0 = performance.now();
  const sizes = await Promise.all(
    ['base', 'ft1', 'ft2'].map((m, i) => writeModel(path.join(dir, m), layers, i)),
  );
  console.log(
    `\n${layers} layers: 3 inputs of ${(sizes[0]! / 1e9).toFixed(2)} GB written in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  const largest = VOCAB * HIDDEN * 2;
  const hub = await startHubServer({ root: dir, port: 0 });
  const ctx = await chromium.launchPersistentContext(profile, {
    ...(chromiumPath() && { executablePath: chromiumPath()! }),
    args: [...CHROMIUM_ARGS],
  });
  const browserPid = await findBrowserPid(profile);
  try {
    const page = await ctx.newPage();
    await page.goto(pageUrl);
    await page.waitForSelector('body[data-ready=true]', { state: 'attached' });
    const request = { recipeText: RECIPE, sources: { hub: { url: hub.url } }, outputName: 'bench' };
    const baseline = await treePss(browserPid);
    const read = await page.evaluate(
      (r) =>
        (
          window as unknown as {
            harness: { readInputs(r: unknown): Promise<{ ms: number; bytes: number; requests: number }> };
          }
        ).harness.readInputs(r),
      request,
    );
    let peak = 0;
    const sampler = setInterval(() => void treePss(browserPid).then((m) => (peak = Math.max(peak, m))), 150);
    const merged = await page.evaluate(async (r) => {
      const h = (
        window as unknown as {
          harness: {
            clear(f: string): Promise<void>;
            start(r: unknown, f: string): void;
            wait(): Promise<{
              bytesWritten?: number;
              error?: string;
              timings?: { readWaitMs: number; computeMs: number; writeWaitMs: number };
            }>;
          };
        }
      ).harness;
      await h.clear('bench-out');
      const t = performance.now();
      h.start(r, 'bench-out');
      const res = await h.wait();
      return { ms: performance.now() - t, res };
    }, request);
    clearInterval(sampler);
    if (merged.res.error) throw new Error(merged.res.error);
    const readMB = read.bytes / 1e6;
    const limit = (4 * largest) / 1e6 + 300;
    console.log(
      `  read only: ${(read.ms / 1000).toFixed(1)} s, ${readMB.toFixed(0)} MB in ${read.requests} requests, ${(readMB / (read.ms / 1000)).toFixed(0)} MB/s`,
    );
    console.log(
      `  merge:     ${(merged.ms / 1000).toFixed(1)} s, ${(readMB / (merged.ms / 1000)).toFixed(0)} MB/s read, ${((merged.res.bytesWritten ?? 0) / 1e6).toFixed(0)} MB written`,
    );
    const tm = merged.res.timings!;
    console.log(
      `  time split: waiting for reads ${(tm.readWaitMs / 1000).toFixed(1)} s, merging ${(tm.computeMs / 1000).toFixed(1)} s, waiting for writes ${(tm.writeWaitMs / 1000).toFixed(1)} s`,
    );
    console.log(`  wall / read-only: ${(merged.ms / read.ms).toFixed(2)}x (target <= 1.3x)`);
    console.log(
      `  peak browser memory (PSS, all processes): ${peak.toFixed(0)} MB (idle ${baseline.toFixed(0)} MB); largest tensor ${(largest / 1e6).toFixed(0)} MB, target <= (3 + 1) x largest + 300 = ${limit.toFixed(0)} MB`,
    );
  } finally {
    await ctx.close();
    await hub.close();
    if (!values.keep) await rm(dir, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
}

/** The browser process is the Chromium started with our profile directory. */
async function findBrowserPid(profile: string): Promise<number> {
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const cmd = await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(profile) && !cmd.includes('--type=')) return Number(e);
  }
  throw new Error('browser process not found');
}

const vite = await createServer({ root: ROOT, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
await vite.listen();
const address = vite.httpServer!.address() as { port: number };
const pageUrl = `http://127.0.0.1:${address.port}/e2e/merge/harness.html`;
try {
  const layers = Number(values.layers);
  await runSize(layers, pageUrl);
  if (!values.once) await runSize(layers * 2, pageUrl);
} finally {
  await vite.close();
}
