/**
 * What can be checked of the WebGPU backend without a GPU (Node has none): it covers every
 * method of the registry, asks the adapter for its largest buffers, and hands bf16/f16-emulated
 * math to the CPU before touching the device. The kernels themselves run in e2e/webgpu
 * (Chromium, SwiftShader).
 */
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../../io/dtypes.ts';
import { getMethod, METHOD_NAMES } from '../../methods/registry.ts';
import { MERGEKIT_COMPAT, type Compat } from '../../methods/types.ts';
import { makeRng } from '../../rng.ts';
import { cpuBackend } from '../cpu/cpu-backend.ts';
import { GpuUnsupportedError } from './errors.ts';
import { withCpuFallback } from './fallback.ts';
import { createWebGpuBackend, GPU_METHOD_NAMES } from './webgpu-backend.ts';

/** An adapter whose device only answers what the backend reads before any GPU work. */
function fakeAdapter(requested: unknown[]): GPUAdapter {
  const limits = {
    maxBufferSize: 2 ** 31,
    maxStorageBufferBindingSize: 2 ** 30,
    maxComputeWorkgroupStorageSize: 32768,
    maxStorageBuffersPerShaderStage: 10,
  };
  const device = { limits, lost: new Promise(() => undefined), destroy: () => undefined };
  return {
    limits,
    info: { vendor: 'test', architecture: '', device: '', description: 'fake' },
    requestDevice: (d: unknown) => {
      requested.push(d);
      return Promise.resolve(device);
    },
  } as unknown as GPUAdapter;
}

/** Kernel arguments of two models on a 4-element tensor, rescale on, with `compat`. */
const twoModels = (out: Float32Array, compat: Compat) => ({
  inputs: [Float32Array.of(1, -2, 3, 0.5), Float32Array.of(-1, -1, 2, 1)],
  base: new Float32Array(4),
  shape: [4],
  global: { normalize: true, rescale: true, lambda: 1, int8_mask: false, select_topk: 1 },
  perModel: [
    { weight: 1, density: 0.5 },
    { weight: 0.5, density: 0.5 },
  ],
  round: Math.fround,
  rng: makeRng,
  out,
  warn: () => undefined,
  compat,
});

/** Kernel arguments of three models weighted 1, 2, 3 (karcher's and model_stock's parameters). */
const weighted = (method: string, out: Float32Array) => ({
  ...twoModels(out, MERGEKIT_COMPAT),
  base: method === 'model_stock' ? Float32Array.of(0.5, 0, 0, 0) : undefined,
  inputs: [Float32Array.of(1, -2, 3, 0.5), Float32Array.of(-1, -1, 2, 1), Float32Array.of(2, 1, 0, 1)],
  perModel: [{}, {}, {}],
  global: { max_iter: 10, tol: 1e-5, filter_wise: false },
  weights: [1, 2, 3],
});

describe('WebGPU backend', () => {
  it('has a GPU implementation of every method', () => {
    expect([...GPU_METHOD_NAMES].sort()).toEqual([...METHOD_NAMES].sort());
  });

  it('requests the adapter limits and hands emulated bf16 math to the CPU', async () => {
    const requested: unknown[] = [];
    const b = await createWebGpuBackend(fakeAdapter(requested), { maxBindingBytes: 1000 });
    expect(requested).toEqual([
      {
        requiredLimits: {
          maxBufferSize: 2 ** 31,
          maxStorageBufferBindingSize: 2 ** 30,
          maxComputeWorkgroupStorageSize: 32768,
          maxStorageBuffersPerShaderStage: 8,
        },
      },
    ]);
    expect(b.context.maxBindingBytes).toBe(768); // the cap, rounded down to 256-byte alignment
    const run = b.run(getMethod('linear')!, {
      inputs: [new Float32Array([1])],
      base: undefined,
      shape: [1],
      global: { normalize: true },
      perModel: [{ weight: 1 }],
      round: roundToBf16,
      rng: makeRng,
      out: new Float32Array(1),
      warn: () => undefined,
      compat: MERGEKIT_COMPAT,
    });
    await expect(run).rejects.toThrow(GpuUnsupportedError);
  });

  it('hands DELLA on a tensor of 3 or more dims to the CPU (it ranks along dim 1 there)', async () => {
    const b = await createWebGpuBackend(fakeAdapter([]));
    const shape = [2, 5, 3];
    const args = (out: Float32Array) => ({
      inputs: [Float32Array.from({ length: 30 }, (_, i) => ((i * 7) % 11) - 5)],
      base: new Float32Array(30),
      shape,
      global: { normalize: true, rescale: true, lambda: 1, int8_mask: false },
      perModel: [{ weight: 1, density: 0.5, epsilon: 0.2 }],
      round: Math.fround,
      rng: makeRng,
      out,
      warn: () => undefined,
      compat: MERGEKIT_COMPAT,
    });
    const della = getMethod('della')!;
    await expect(b.run(della, args(new Float32Array(30)))).rejects.toThrow(
      /3-D tensor is ranked along dim 1/,
    );
    const log: string[] = [];
    const fallback = withCpuFallback(b, undefined, (line) => log.push(line));
    const [viaGpu, cpu] = [new Float32Array(30), new Float32Array(30)];
    await fallback.run(della, args(viaGpu));
    await cpuBackend.run(della, args(cpu));
    expect(viaGpu).toEqual(cpu);
    expect(fallback.stats).toMatchObject({ handedBack: 1, cpuTensors: 1, gpuOffReason: undefined });
    expect(log).toEqual(['cpu: della: a 3-D tensor is ranked along dim 1 on the CPU']);
  });

  it('hands the merge_studio options it lacks (count consensus, other rescale norms) to the CPU', async () => {
    const b = await createWebGpuBackend(fakeAdapter([]));
    const args = twoModels;
    const count: Compat = { ...MERGEKIT_COMPAT, consensus: 'count' };
    const l2: Compat = { ...MERGEKIT_COMPAT, rescaleNorm: 'l2' };
    for (const [method, compat] of [
      ['ties', count],
      ['sce', count],
      ['dare_linear', l2],
      ['della', { ...l2, rescaleNorm: 'inverse_density' }],
    ] as const) {
      const m = getMethod(method)!;
      await expect(b.run(m, args(new Float32Array(4), compat)), method).rejects.toThrow(GpuUnsupportedError);
      const fallback = withCpuFallback(b, undefined, () => undefined);
      const [viaGpu, cpu] = [new Float32Array(4), new Float32Array(4)];
      await fallback.run(m, args(viaGpu, compat));
      await cpuBackend.run(m, args(cpu, compat));
      expect(viaGpu).toEqual(cpu);
      expect(fallback.stats).toMatchObject({ handedBack: 1, gpuOffReason: undefined });
    }
  });

  it('hands topk_scope row and merge_studio.weights to the CPU', async () => {
    const b = await createWebGpuBackend(fakeAdapter([]));
    const row: Compat = { ...MERGEKIT_COMPAT, topkScope: 'row' };
    // two rows of two: each keeps its larger entry
    const rows = (out: Float32Array) => ({ ...twoModels(out, row), shape: [2, 2] });
    const cases = [
      ['ties', rows],
      ['breadcrumbs', rows],
      ['karcher', (out: Float32Array) => weighted('karcher', out)],
      ['model_stock', (out: Float32Array) => weighted('model_stock', out)],
    ] as const;
    for (const [method, args] of cases) {
      const m = getMethod(method)!;
      await expect(b.run(m, args(new Float32Array(4))), method).rejects.toThrow(GpuUnsupportedError);
      const fallback = withCpuFallback(b, undefined, () => undefined);
      const [viaGpu, cpu] = [new Float32Array(4), new Float32Array(4)];
      await fallback.run(m, args(viaGpu));
      await cpuBackend.run(m, args(cpu));
      expect(viaGpu).toEqual(cpu);
      expect(fallback.stats).toMatchObject({ handedBack: 1, gpuOffReason: undefined });
    }
  });
});
