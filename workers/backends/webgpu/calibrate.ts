/**
 * The short calibration behind `prefer: 'auto'`: time one elementwise chunk (linear on the
 * engine's 256K-element chunk) and one whole-tensor merge (the job's own method on 1M
 * elements; TIES when no method is named) on both backends, transfers included, and route each
 * kind of tensor to the faster one. A GPU that wins the whole tensors may still lose the
 * memory-bound chunks to a fast CPU, so the two are decided apart. The method matters: on an
 * H100 through Dawn, TIES ran at 0.6-0.7x the CPU's speed and SCE at 5-7x (docs/webgpu.md).
 *
 * No GPU code: the GPU backend comes in as a MergeBackend.
 */
import { getMethod } from '../../methods/registry.ts';
import { MERGEKIT_COMPAT, type KernelArgs, type ParamValue } from '../../methods/types.ts';
import { makeRng, streamKey, uniformAt } from '../../rng.ts';
import { cpuBackend } from '../cpu/cpu-backend.ts';
import type { MergeBackend } from '../types.ts';
import type { Routes } from './fallback.ts';

export interface ProbeTiming {
  readonly method: string;
  readonly elements: number;
  /** Best of the timed runs, milliseconds. */
  readonly cpuMs: number;
  readonly gpuMs: number;
}

export interface Calibration {
  readonly elementwise: ProbeTiming;
  readonly wholeTensor: ProbeTiming;
}

/** Row length of the probes' matrices: a common hidden size. */
const ROW = 4096;

export interface Probe {
  readonly method: string;
  readonly elements: number;
  readonly models: number;
  readonly base: boolean;
  readonly perModel: Readonly<Record<string, ParamValue>>;
  readonly global?: Readonly<Record<string, ParamValue>>;
}

const PROBES = {
  elementwise: { method: 'linear', elements: 1 << 18, models: 2, base: false, perModel: { weight: 0.5 } },
  wholeTensor: {
    method: 'ties',
    elements: 1 << 20,
    models: 2,
    base: true,
    perModel: { weight: 0.5, density: 0.5 },
  },
} satisfies Record<string, Probe>;

/** Deterministic data: a base near 0 and inputs that differ from it by small deltas. */
function probeData(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (uniformAt(seed, i) - 0.5) * 0.1;
  return out;
}

export function probeArgs(
  p: Probe,
  data: readonly Float32Array[],
  base: Float32Array | undefined,
): KernelArgs {
  const m = getMethod(p.method)!;
  const defaults = (scope: 'global' | 'model'): Record<string, ParamValue> =>
    Object.fromEntries(
      m.params
        .filter((s) => s.scope === scope && s.default !== undefined)
        .map((s) => [s.name, s.default as ParamValue]),
    );
  return {
    inputs: data.map((x) => x.slice()),
    base,
    // Rows of a hidden size, as in real weights: row-wise methods (DELLA's ranks, nuslerp
    // by rows) behave as they do in a merge; 1-D tensors would be one huge row.
    shape: p.elements % ROW === 0 && p.elements > ROW ? [p.elements / ROW, ROW] : [p.elements],
    global: { ...defaults('global'), ...p.global },
    perModel: data.map(() => ({ ...defaults('model'), ...p.perModel })),
    round: Math.fround,
    rng: (k) => makeRng(streamKey(0, 'calibration', k)),
    out: new Float32Array(p.elements),
    warn: () => undefined,
    compat: MERGEKIT_COMPAT,
  };
}

async function timeBest(runs: number, run: () => Promise<void>): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * The whole-tensor probe for a method: its defaults, plus the values every recipe must give
 * (weight, t, scale) and a density of 0.5, on as many models as it takes (2 where it can).
 */
export function probeFor(methodName: string): Probe {
  const m = getMethod(methodName);
  if (!m) return PROBES.wholeTensor;
  const has = (scope: 'global' | 'model', name: string): boolean =>
    m.params.some((p) => p.scope === scope && p.name === name);
  const perModel: Record<string, ParamValue> = {};
  if (has('model', 'weight')) perModel['weight'] = 0.5;
  if (has('model', 'density')) perModel['density'] = 0.5;
  if (has('model', 'scale')) perModel['scale'] = 1;
  const global: Record<string, ParamValue> = {};
  if (has('global', 't')) global['t'] = 0.5;
  return {
    method: m.name,
    elements: 1 << 20,
    models: Math.max(m.models.min, Math.min(2, m.models.max ?? 2)),
    base: m.base === 'required',
    perModel,
    global,
  };
}

/** The probe's tensors: a base near 0 (when it has one) and inputs a small delta from it. */
export function probeInputs(p: Probe): { base: Float32Array | undefined; data: Float32Array[] } {
  const base = p.base ? probeData(p.elements, 1) : undefined;
  const data = Array.from({ length: p.models }, (_, k) => {
    const x = probeData(p.elements, 100 + k);
    if (base) for (let i = 0; i < x.length; i++) x[i] = base[i]! + x[i]! * 0.1;
    return x;
  });
  return { base, data };
}

async function timeProbe(gpu: MergeBackend, p: Probe, runs: number): Promise<ProbeTiming> {
  const method = getMethod(p.method)!;
  const { base, data } = probeInputs(p);
  await gpu.run(method, probeArgs(p, data, base)); // warm-up: shader compilation
  const gpuMs = await timeBest(runs, () => gpu.run(method, probeArgs(p, data, base)));
  const cpuMs = await timeBest(runs, () => cpuBackend.run(method, probeArgs(p, data, base)));
  return { method: p.method, elements: p.elements, cpuMs, gpuMs };
}

/** `method`: the merge's method, timed for the whole-tensor route (default TIES). */
export async function calibrate(gpu: MergeBackend, method?: string, runs = 2): Promise<Calibration> {
  return {
    elementwise: await timeProbe(gpu, PROBES.elementwise, runs),
    wholeTensor: await timeProbe(gpu, method ? probeFor(method) : PROBES.wholeTensor, runs),
  };
}

export function routesFrom(c: Calibration): Routes {
  return {
    elementwise: c.elementwise.gpuMs < c.elementwise.cpuMs ? 'webgpu' : 'cpu',
    wholeTensor: c.wholeTensor.gpuMs < c.wholeTensor.cpuMs ? 'webgpu' : 'cpu',
  };
}
