/**
 * The short calibration behind `prefer: 'auto'`: time one elementwise chunk (linear on the
 * engine's 256K-element chunk) and one whole-tensor merge (TIES on 1M elements) on both
 * backends, transfers included, and route each kind of tensor to the faster one. A GPU that
 * wins TIES may still lose the memory-bound chunks to a fast CPU, so the two are decided apart.
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

interface Probe {
  readonly method: string;
  readonly elements: number;
  readonly models: number;
  readonly base: boolean;
  readonly perModel: Readonly<Record<string, ParamValue>>;
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

function probeArgs(p: Probe, data: readonly Float32Array[], base: Float32Array | undefined): KernelArgs {
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
    shape: [p.elements],
    global: defaults('global'),
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

async function timeProbe(gpu: MergeBackend, p: Probe, runs: number): Promise<ProbeTiming> {
  const method = getMethod(p.method)!;
  const base = p.base ? probeData(p.elements, 1) : undefined;
  const data = Array.from({ length: p.models }, (_, k) => {
    const x = probeData(p.elements, 100 + k);
    if (base) for (let i = 0; i < x.length; i++) x[i] = base[i]! + x[i]! * 0.1;
    return x;
  });
  await gpu.run(method, probeArgs(p, data, base)); // warm-up: shader compilation
  const gpuMs = await timeBest(runs, () => gpu.run(method, probeArgs(p, data, base)));
  const cpuMs = await timeBest(runs, () => cpuBackend.run(method, probeArgs(p, data, base)));
  return { method: p.method, elements: p.elements, cpuMs, gpuMs };
}

export async function calibrate(gpu: MergeBackend, runs = 2): Promise<Calibration> {
  return {
    elementwise: await timeProbe(gpu, PROBES.elementwise, runs),
    wholeTensor: await timeProbe(gpu, PROBES.wholeTensor, runs),
  };
}

export function routesFrom(c: Calibration): Routes {
  return {
    elementwise: c.elementwise.gpuMs < c.elementwise.cpuMs ? 'webgpu' : 'cpu',
    wholeTensor: c.wholeTensor.gpuMs < c.wholeTensor.cpuMs ? 'webgpu' : 'cpu',
  };
}
