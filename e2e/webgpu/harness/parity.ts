/**
 * One parity case in the page: the WebGPU backend (raw, so nothing falls back silently) and
 * the CPU kernel on the same seeded tensors, compared by the method's tolerance.
 */
import type { MergeBackend } from '../../../workers/backends/types.ts';
import { compareOutputs, TOLERANCES } from '../../../workers/backends/webgpu/tolerances.ts';
import { getMethod } from '../../../workers/methods/registry.ts';
import { MERGEKIT_COMPAT, type KernelArgs, type ParamValue } from '../../../workers/methods/types.ts';
import { makeRng, streamKey } from '../../../workers/rng.ts';
import type { BenchRow, ParityReport } from './api.ts';
import { caseData, CASES, LARGE_CASES, type ParityCase } from './cases.ts';

function argsFor(
  c: ParityCase,
  inputs: Float32Array[],
  base: Float32Array | undefined,
  warnings: string[],
): KernelArgs {
  const m = getMethod(c.method)!;
  const defaults = (scope: 'global' | 'model'): Record<string, ParamValue> =>
    Object.fromEntries(
      m.params
        .filter((p) => p.scope === scope && p.default !== undefined)
        .map((p) => [p.name, p.default as ParamValue]),
    );
  const n = c.shape.reduce((a, b) => a * b, 1);
  return {
    inputs,
    base,
    shape: c.shape,
    global: { ...defaults('global'), ...c.global },
    perModel: inputs.map((_, k) => ({ ...defaults('model'), ...c.perModel?.[k] })),
    round: Math.fround,
    rng: (k) => makeRng(streamKey(c.seed, c.name, k)),
    out: new Float32Array(n),
    warn: (w) => warnings.push(w),
    compat: MERGEKIT_COMPAT,
  };
}

const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && new Uint32Array(a.buffer).every((v, i) => v === new Uint32Array(b.buffer)[i]);

export function findCase(name: string): ParityCase {
  const c = [...CASES, ...LARGE_CASES].find((x) => x.name === name);
  if (!c) throw new Error(`no parity case ${name}`);
  return c;
}

export async function runParity(
  gpu: MergeBackend,
  name: string,
  segmentsOf: () => number,
): Promise<ParityReport> {
  const c = findCase(name);
  const method = getMethod(c.method)!;
  const { base, inputs } = caseData(c);
  const gpuWarnings: string[] = [];
  const cpuWarnings: string[] = [];
  const gpuArgs = argsFor(c, inputs, base, gpuWarnings);
  const keepInputs = inputs.map((x) => x.slice());
  const keepBase = base?.slice();
  let t0 = performance.now();
  await gpu.run(method, gpuArgs);
  const gpuMs = performance.now() - t0;
  const inputsIntact =
    inputs.every((x, k) => sameBits(x, keepInputs[k]!)) && (!base || sameBits(base, keepBase!));
  const cpuArgs = argsFor(c, keepInputs, keepBase, cpuWarnings);
  t0 = performance.now();
  method.kernel(cpuArgs);
  const cpuMs = performance.now() - t0;
  const cmp = compareOutputs(cpuArgs.out, gpuArgs.out, TOLERANCES[c.method]!);
  return {
    name,
    method: c.method,
    segments: segmentsOf(),
    ...cmp,
    inputsIntact,
    cpuWarnings,
    gpuWarnings,
    gpuMs,
    cpuMs,
  };
}

/** Elements per second material for scripts/bench-gpu.ts: best of `runs` on each backend. */
export async function runBench(
  gpu: MergeBackend,
  methodName: string,
  elements: number,
  runs: number,
): Promise<BenchRow> {
  const template = CASES.find((c) => c.method === methodName);
  if (!template) throw new Error(`no parity case for ${methodName}`);
  const cols = 1024;
  const c: ParityCase = { ...template, shape: [Math.max(1, Math.round(elements / cols)), cols] };
  const method = getMethod(c.method)!;
  const { base, inputs } = caseData(c);
  const time = async (run: (a: KernelArgs) => Promise<void>): Promise<number> => {
    let best = Infinity;
    for (let r = 0; r < runs; r++) {
      const a = argsFor(
        c,
        inputs.map((x) => x.slice()),
        base,
        [],
      );
      const t0 = performance.now();
      await run(a);
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  await gpu.run(
    method,
    argsFor(
      c,
      inputs.map((x) => x.slice()),
      base,
      [],
    ),
  ); // compile
  const gpuMs = await time((a) => gpu.run(method, a));
  const cpuMs = await time((a) => {
    method.kernel(a);
    return Promise.resolve();
  });
  return { method: methodName, elements: c.shape[0]! * cols, cpuMs, gpuMs };
}
