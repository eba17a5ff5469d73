import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  NO_ADAPTER,
  NO_WEBGPU,
  resetWebGpuProbe,
  webGpuMissingReason,
  webGpuUnavailableReason,
} from './webgpu-probe.ts';

beforeEach(resetWebGpuProbe);

describe('WebGPU availability for "Compute on"', () => {
  it('without navigator.gpu: unavailable at once, with the reason', async () => {
    expect(webGpuMissingReason(undefined)).toBe(NO_WEBGPU);
    expect(await webGpuUnavailableReason(undefined)).toBe(NO_WEBGPU);
  });

  it('navigator.gpu without an adapter (or a failed request): unavailable', async () => {
    expect(await webGpuUnavailableReason({ requestAdapter: () => Promise.resolve(null) })).toBe(NO_ADAPTER);
    resetWebGpuProbe();
    expect(await webGpuUnavailableReason({ requestAdapter: () => Promise.reject(new Error('x')) })).toBe(
      NO_ADAPTER,
    );
  });

  it('with an adapter: available; the adapter is asked for once', async () => {
    const requestAdapter = vi.fn(() => Promise.resolve({} as GPUAdapter));
    expect(webGpuMissingReason({ requestAdapter })).toBeUndefined();
    expect(await webGpuUnavailableReason({ requestAdapter })).toBeUndefined();
    expect(await webGpuUnavailableReason({ requestAdapter })).toBeUndefined();
    expect(requestAdapter).toHaveBeenCalledTimes(1);
  });
});
