/**
 * What can be checked of the WebGPU backend without a GPU (Node has none): it covers every
 * method of the registry, asks the adapter for its largest buffers, and hands bf16/f16-emulated
 * math to the CPU before touching the device. The kernels themselves run in e2e/webgpu
 * (Chromium, SwiftShader).
 */
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../../io/dtypes.ts';
import { getMethod, METHOD_NAMES } from '../../methods/registry.ts';
import { MERGEKIT_COMPAT } from '../../methods/types.ts';
import { makeRng } from '../../rng.ts';
import { GpuUnsupportedError } from './errors.ts';
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
});
