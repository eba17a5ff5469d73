/**
 * `npm run bench:engine`: elements per second of every merge method on one 4096 x 11008 BF16
 * tensor (a 7B MLP matrix), three fine-tunes plus a base, beside memcpy measured in this same
 * process. Each figure covers what a merge does per tensor: decode the BF16 inputs, run the
 * kernel, encode the BF16 output (reading and writing files excluded). Best of a few runs.
 *
 *   npm run bench:engine                 all methods
 *   npm run bench:engine -- ties linear  some methods
 *   BENCH_ROWS=1024 npm run bench:engine a smaller tensor (quick look)
 *   BENCH_SIMD=0 npm run bench:engine    the JS kernels only, as in a browser without
 *                                        WebAssembly SIMD (the same output bytes)
 *   BENCH_LANES=4 npm run bench:engine   large task-vector family tensors merged in parts on
 *                                        4 compute lanes (worker threads; inputs shared)
 *   BENCH_TOPK_SCOPE=row npm run bench:engine -- ties
 *                                        TIES and breadcrumbs cut by row (merge_studio.topk_scope)
 */
import os from 'node:os';
import { cpuBackend } from '../workers/backends/cpu/cpu-backend.ts';
import { computeTensor } from '../workers/engine/compute-tensor.ts';
import { encodeFromF32 } from '../workers/io/dtypes.ts';
import { METHODS } from '../workers/methods/registry.ts';
import { MERGEKIT_COMPAT, type MergeMethod } from '../workers/methods/types.ts';
import type { PlannedTensor } from '../workers/plan/plan-types.ts';
import { plannedLayerTensor } from '../workers/engine/test-helpers.ts';
import { mix32 } from '../workers/rng.ts';
import { setSimdEnabled, simdArena } from '../workers/simd/arena.ts';
import { startNodeLanes } from '../workers/runtime/node/compute-lanes.ts';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 4096);
const COLS = 11008;
const N = ROWS * COLS;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const SIMD = process.env['BENCH_SIMD'] !== '0';
const LANES = Number(process.env['BENCH_LANES'] ?? 0);
const TOPK_SCOPE = process.env['BENCH_TOPK_SCOPE'] === 'row' ? 'row' : 'tensor';

/** mergekit's own torch CPU figures on a machine of this kind (M elements/s), from the issue. */
const MERGEKIT: Readonly<Record<string, number>> = {
  linear: 49,
  task_arithmetic: 27,
  ties: 2.8,
  dare_ties: 4.8,
};

/** Approximately normal values (sum of uniforms) from a counter hash: fast and reproducible. */
function gaussianish(seed: number, scale: number, into: Float32Array, add?: Float32Array): void {
  for (let i = 0; i < into.length; i++) {
    const h = mix32(i ^ mix32(seed));
    const u = ((h & 0xffff) + (h >>> 16)) / 65536 - 1; // triangular in (-1, 1)
    into[i] = (add ? add[i]! : 0) + u * scale;
  }
}

function bf16Inputs(): { base: Uint8Array; models: Uint8Array[] } {
  const f = new Float32Array(N);
  gaussianish(1, 0.04, f);
  const base = encodeFromF32(f, 'BF16');
  const models = [2, 3, 4].map((s) => {
    const g = new Float32Array(N);
    gaussianish(s, 0.004, g, f);
    return encodeFromF32(g, 'BF16');
  });
  return { base, models };
}

function plannedTensor(m: MergeMethod): { t: PlannedTensor; count: number } {
  const count = m.models.max !== undefined ? Math.min(3, m.models.max) : 3;
  const t = plannedLayerTensor(m.name, [ROWS, COLS], new Array<'BF16'>(count).fill('BF16'), (name) => {
    if (name === 'weight' || name === 'density') return 0.5;
    if (name === 't') return m.name === 'nearswap' ? 0.001 : 0.5;
    return undefined;
  });
  return { t, count };
}

function memcpyRate(src: Uint8Array): number {
  const dst = new Uint8Array(src.byteLength);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    dst.set(src);
    best = Math.min(best, performance.now() - t0);
  }
  return N / (best / 1000);
}

const only = process.argv.slice(2);
const plain = bf16Inputs();
/** With lanes (worker threads), the inputs live in SharedArrayBuffers, as a merge job reads them. */
const share = (b: Uint8Array): Uint8Array => {
  if (LANES === 0) return b;
  const s = new Uint8Array(new SharedArrayBuffer(b.byteLength));
  s.set(b);
  return s;
};
const base = share(plain.base);
const models = plain.models.map(share);
const pool = LANES > 0 ? startNodeLanes(LANES) : undefined;
const memcpy = memcpyRate(base);
setSimdEnabled(SIMD);
console.log(
  `tensor ${ROWS} x ${COLS} BF16 (${(N / 1e6).toFixed(1)} M elements), best of ${RUNS} runs, Node ${process.version}`,
);
console.log(`WebAssembly SIMD kernels: ${simdArena() ? 'on' : 'off (JS)'}`);
if (TOPK_SCOPE === 'row') console.log('top-k scope: row (merge_studio.topk_scope)');
console.log(
  pool
    ? `compute lanes: ${LANES} worker threads (${os.availableParallelism()} cores); methods that do not split run on the main thread`
    : `compute lanes: none (the main thread alone; ${os.availableParallelism()} cores)`,
);
console.log(`memcpy of the BF16 tensor: ${(memcpy / 1e6).toFixed(0)} M elements/s\n`);
console.log('method              inputs   M el/s   x memcpy   vs mergekit');
for (const m of METHODS.filter((x) => only.length === 0 || only.includes(x.name))) {
  const { t, count } = plannedTensor(m);
  let best = Infinity;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await computeTensor(t, m.name, t.base ? base : undefined, models.slice(0, count), {
      backend: cpuBackend,
      computeDtype: 'F32',
      seed: 0,
      compat: { ...MERGEKIT_COMPAT, topkScope: TOPK_SCOPE },
      warn: () => undefined,
      ...(pool && { lanes: { lanes: pool.lanes, needShared: true } }),
    });
    best = Math.min(best, performance.now() - t0);
  }
  const rate = N / (best / 1000);
  const mk = MERGEKIT[m.name];
  console.log(
    `${m.name.padEnd(18)} ${`${count}${t.base ? '+base' : ''}`.padStart(7)} ${(rate / 1e6).toFixed(1).padStart(8)} ${(
      memcpy / rate
    )
      .toFixed(1)
      .padStart(9)}x ${mk ? `${(rate / 1e6 / mk).toFixed(1).padStart(9)}x` : ''}`,
  );
}
await pool?.close();
