/**
 * Backend choice and the CPU fallback, in Node: no real GPU here, so the "GPU" is a fake
 * MergeBackend (a recording wrapper of the CPU kernels that can be told to fail). The real
 * WebGPU paths run in e2e/webgpu (Chromium with a SwiftShader adapter).
 */
import { describe, expect, it } from 'vitest';
import { getMethod } from '../methods/registry.ts';
import { MERGEKIT_COMPAT, type KernelArgs, type ParamValue } from '../methods/types.ts';
import { makeRng } from '../rng.ts';
import { selectBackend, type GpuEntry, type WebGpuModule } from './select-backend.ts';
import type { MergeBackend } from './types.ts';
import { routesFrom, type Calibration } from './webgpu/calibrate.ts';
import { GpuDeviceLostError, GpuUnsupportedError, NoGpuAdapterError } from './webgpu/errors.ts';
import { withCpuFallback } from './webgpu/fallback.ts';

function args(
  method: string,
  inputs: number[][],
  base: number[] | undefined,
  perModel: Record<string, ParamValue>[],
  warnings: string[] = [],
): KernelArgs {
  const m = getMethod(method)!;
  const defaults = Object.fromEntries(
    m.params.filter((p) => p.scope === 'global' && p.default !== undefined).map((p) => [p.name, p.default!]),
  );
  return {
    inputs: inputs.map((x) => Float32Array.from(x)),
    base: base && Float32Array.from(base),
    shape: [inputs[0]!.length],
    global: defaults,
    perModel,
    round: Math.fround,
    rng: (k) => makeRng(k),
    out: new Float32Array(inputs[0]!.length),
    warn: (w) => warnings.push(w),
    compat: MERGEKIT_COMPAT,
  };
}

const linear = getMethod('linear')!;
const ties = getMethod('ties')!;
// linear, weights 1 and 3: (1 * [1, 2] + 3 * [3, 6]) / 4 = [2.5, 5]
const linearArgs = (warnings?: string[]): KernelArgs =>
  args(
    'linear',
    [
      [1, 2],
      [3, 6],
    ],
    undefined,
    [{ weight: 1 }, { weight: 3 }],
    warnings,
  );
// ties with a base: deltas [1, -1] and [3, 0], density 1: elected +, -: [0 + (1+3)/2..]
const tiesArgs = (): KernelArgs =>
  args(
    'ties',
    [
      [1, -1],
      [3, 0],
    ],
    [0, 0],
    [
      { weight: 1, density: 0.5 },
      { weight: 1, density: 0.5 },
    ],
  );

/** A "GPU" that runs the CPU kernel on copies (never touching the inputs), or fails on cue. */
function fakeGpu(failOn: (call: number) => Error | undefined = () => undefined) {
  const calls: string[] = [];
  let disposed = false;
  const backend: MergeBackend = {
    name: 'webgpu',
    run(method, a) {
      calls.push(method.name);
      const err = failOn(calls.length);
      if (err) {
        a.out.fill(-99); // partial garbage: the CPU re-run must overwrite it
        return Promise.reject(err);
      }
      const copy = { ...a, inputs: a.inputs.map((x) => x.slice()), base: a.base?.slice() };
      method.kernel(copy);
      return Promise.resolve();
    },
    dispose: () => {
      disposed = true;
    },
  };
  return { backend, calls, isDisposed: () => disposed };
}

const adapter = {} as GPUAdapter;
const withAdapter: GpuEntry = { requestAdapter: () => Promise.resolve(adapter) };
const moduleOf =
  (b: MergeBackend): (() => Promise<WebGpuModule>) =>
  () =>
    Promise.resolve({ createWebGpuBackend: () => Promise.resolve(b) });
const load = (): Promise<WebGpuModule> => Promise.reject(new Error('chunk failed to load'));
/** A WebGPU module whose adapter refuses a device. */
const refuse = (): Promise<WebGpuModule> =>
  Promise.resolve({
    createWebGpuBackend: () => Promise.reject(new NoGpuAdapterError('the adapter refused a device: x')),
  });
const timing = (method: string, gpuMs: number, cpuMs: number) => ({ method, elements: 1, gpuMs, cpuMs });

describe('selectBackend without a GPU', () => {
  it('prefer cpu: the CPU reference', async () => {
    const b = await selectBackend({ prefer: 'cpu', gpu: withAdapter });
    expect(b.name).toBe('cpu');
    expect(b.selection.routes).toEqual({ elementwise: 'cpu', wholeTensor: 'cpu' });
  });

  it('auto in Node (no navigator.gpu): the CPU, saying why', async () => {
    const b = await selectBackend({ prefer: 'auto' });
    expect(b.name).toBe('cpu');
    expect(b.selection.reason).toMatch(/no WebGPU/);
    const a = linearArgs();
    await b.run(linear, a);
    expect([...a.out]).toEqual([2.5, 5]);
  });

  it('auto when the adapter request gives null: the CPU', async () => {
    const b = await selectBackend({ prefer: 'auto', gpu: { requestAdapter: () => Promise.resolve(null) } });
    expect(b.name).toBe('cpu');
    expect(b.selection.reason).toMatch(/no adapter was offered/);
  });

  it('prefer webgpu without a GPU: an error the user can act on', async () => {
    await expect(selectBackend({ prefer: 'webgpu', gpu: undefined })).rejects.toThrow(NoGpuAdapterError);
    await expect(selectBackend({ prefer: 'webgpu', gpu: undefined })).rejects.toThrow(/Chrome or Edge/);
  });

  it('prefer webgpu without a GPU: says the merge was not run, not that it runs on the CPU', async () => {
    const e = await selectBackend({ prefer: 'webgpu', gpu: undefined }).catch((x: unknown) => x as Error);
    expect((e as Error).message).toMatch(/was not run\. Choose “automatic” or “CPU” under “Compute on”/);
    expect((e as Error).message).not.toMatch(/Merges run on the CPU/);
  });

  it('auto when the device is refused: the reason names the cause without the forced-GPU advice', async () => {
    const b = await selectBackend({ prefer: 'auto', gpu: withAdapter, load: refuse });
    expect(b.selection.reason).toBe(
      'CPU: the WebGPU device could not be created (the adapter refused a device: x)',
    );
  });

  it('auto when the WebGPU module fails to load: the CPU; forced: the error', async () => {
    const b = await selectBackend({ prefer: 'auto', gpu: withAdapter, load });
    expect(b.name).toBe('cpu');
    expect(b.selection.reason).toMatch(/chunk failed to load/);
    await expect(selectBackend({ prefer: 'webgpu', gpu: withAdapter, load })).rejects.toThrow(/chunk failed/);
  });
});

describe('selectBackend with a GPU', () => {
  it('prefer webgpu: every tensor on the GPU, no calibration', async () => {
    const gpu = fakeGpu();
    const b = await selectBackend({
      prefer: 'webgpu',
      gpu: withAdapter,
      load: moduleOf(gpu.backend),
      calibrate: () => Promise.reject(new Error('must not calibrate')),
    });
    expect(b.name).toBe('webgpu');
    const a = linearArgs();
    await b.run(linear, a);
    expect([...a.out]).toEqual([2.5, 5]);
    expect(gpu.calls).toEqual(['linear']);
  });

  it('auto: routes per-element chunks and whole tensors by the calibration', async () => {
    const gpu = fakeGpu();
    const calibration: Calibration = {
      elementwise: timing('linear', 5, 1), // GPU slower on chunks
      wholeTensor: timing('ties', 10, 40), // GPU faster on whole tensors
    };
    const b = await selectBackend({
      prefer: 'auto',
      gpu: withAdapter,
      load: moduleOf(gpu.backend),
      calibrate: () => Promise.resolve(calibration),
    });
    expect(b.selection.routes).toEqual({ elementwise: 'cpu', wholeTensor: 'webgpu' });
    expect(b.selection.reason).toMatch(/whole-tensor methods.*linear: GPU 5.0 ms, CPU 1.0 ms/);
    await b.run(linear, linearArgs());
    const t = tiesArgs();
    await b.run(ties, t);
    expect(gpu.calls).toEqual(['ties']);
  });

  it("auto: the calibration times the merge's own method for whole tensors", async () => {
    const gpu = fakeGpu();
    const asked: (string | undefined)[] = [];
    await selectBackend({
      prefer: 'auto',
      gpu: withAdapter,
      load: moduleOf(gpu.backend),
      method: 'sce',
      calibrate: (_gpu, method) => {
        asked.push(method);
        return Promise.resolve({ elementwise: timing('linear', 9, 1), wholeTensor: timing('sce', 1, 9) });
      },
    });
    expect(asked).toEqual(['sce']);
  });

  it('auto: the CPU when it wins both probes, and the GPU device is released', async () => {
    const gpu = fakeGpu();
    const b = await selectBackend({
      prefer: 'auto',
      gpu: withAdapter,
      load: moduleOf(gpu.backend),
      calibrate: () =>
        Promise.resolve({ elementwise: timing('linear', 9, 1), wholeTensor: timing('ties', 9, 1) }),
    });
    expect(b.name).toBe('cpu');
    expect(gpu.isDisposed()).toBe(true);
    expect(b.selection.calibration?.wholeTensor.gpuMs).toBe(9);
  });

  it('auto with a software adapter (SwiftShader): the CPU without loading the module', async () => {
    const software = { info: { isFallbackAdapter: true, vendor: 'google', description: 'swiftshader' } };
    const b = await selectBackend({
      prefer: 'auto',
      gpu: { requestAdapter: () => Promise.resolve(software as unknown as GPUAdapter) },
      load,
    });
    expect(b.name).toBe('cpu');
    expect(b.selection.reason).toMatch(/software one \(google swiftshader\)/);
  });

  it('routesFrom picks the faster backend per kind of tensor', () => {
    expect(routesFrom({ elementwise: timing('linear', 1, 2), wholeTensor: timing('ties', 3, 2) })).toEqual({
      elementwise: 'webgpu',
      wholeTensor: 'cpu',
    });
  });
});

describe('withCpuFallback', () => {
  it('a device lost mid-job: that tensor and every later one on the CPU, same numbers', async () => {
    const gpu = fakeGpu((call) => (call === 2 ? new GpuDeviceLostError('destroyed') : undefined));
    const log: string[] = [];
    const b = withCpuFallback(gpu.backend, undefined, (l) => log.push(l));
    const outs: number[][] = [];
    const warnings: string[] = [];
    for (let i = 0; i < 3; i++) {
      const a = linearArgs(warnings);
      await b.run(linear, a);
      outs.push([...a.out]);
    }
    expect(outs).toEqual([
      [2.5, 5],
      [2.5, 5],
      [2.5, 5],
    ]);
    expect(gpu.calls).toHaveLength(2); // never asked again after the loss
    expect(b.name).toBe('cpu');
    expect(b.stats).toMatchObject({ gpuTensors: 1, cpuTensors: 2, handedBack: 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/device was lost \(destroyed\); the merge continues on the CPU/);
    expect(gpu.isDisposed()).toBe(true);
    expect(log.some((l) => l.startsWith('warning:'))).toBe(true);
  });

  it('a tensor the GPU cannot take goes to the CPU alone, silently', async () => {
    const gpu = fakeGpu((call) => (call === 1 ? new GpuUnsupportedError('too big') : undefined));
    const b = withCpuFallback(gpu.backend);
    const warnings: string[] = [];
    const first = linearArgs(warnings);
    await b.run(linear, first);
    await b.run(linear, linearArgs(warnings));
    expect([...first.out]).toEqual([2.5, 5]);
    expect(gpu.calls).toHaveLength(2);
    expect(b.name).toBe('webgpu');
    expect(warnings).toEqual([]);
  });

  it('any other GPU failure: CPU from then on, with a warning', async () => {
    const gpu = fakeGpu(() => new TypeError('undefined is not a function'));
    const b = withCpuFallback(gpu.backend);
    const warnings: string[] = [];
    const a = linearArgs(warnings);
    await b.run(linear, a);
    expect([...a.out]).toEqual([2.5, 5]);
    expect(warnings[0]).toMatch(/the GPU backend failed \(undefined is not a function\)/);
    expect(b.name).toBe('cpu');
  });

  it('errors of the method itself still reach the caller', async () => {
    const b = withCpuFallback(fakeGpu(() => new GpuUnsupportedError('no')).backend);
    const a = args('ties', [[1, 2]], undefined, [{ weight: 1, density: 1 }]);
    await expect(b.run(ties, a)).rejects.toThrow(/needs a base tensor/);
  });
});
