/**
 * Picks where a merge's kernels run: the CPU reference, or WebGPU when the browser has it.
 *
 * The WebGPU backend module is imported only after `navigator.gpu.requestAdapter()` returned
 * an adapter, so a browser or Node without WebGPU never loads it. 'auto' keeps the GPU only
 * where a short calibration (webgpu/calibrate.ts) finds it faster, separately for per-element
 * chunks and whole-tensor merges; 'webgpu' forces it. Either way the returned backend re-runs
 * a tensor on the CPU when the GPU cannot take it, and continues on the CPU for the rest of the
 * job if the device is lost (webgpu/fallback.ts).
 */
import { cpuBackend } from './cpu/cpu-backend.ts';
import type { MergeBackend } from './types.ts';
import { calibrate as realCalibrate, routesFrom, type Calibration } from './webgpu/calibrate.ts';
import { NoGpuAdapterError } from './webgpu/errors.ts';
import { GPU_EVERYWHERE, withCpuFallback, type Routes } from './webgpu/fallback.ts';

export type BackendPreference = 'auto' | 'cpu' | 'webgpu';

export interface BackendSelection {
  readonly prefer: BackendPreference;
  /** Where each kind of tensor runs (both 'cpu' without a GPU). */
  readonly routes: Routes;
  /** One line for the UI and logs. */
  readonly reason: string;
  /** The adapter's description, when one was found. */
  readonly adapter?: string;
  readonly calibration?: Calibration;
}

export interface SelectedBackend extends MergeBackend {
  readonly selection: BackendSelection;
}

/** The part of `navigator.gpu` used here (injectable for tests). */
export interface GpuEntry {
  requestAdapter(options?: GPURequestAdapterOptions): Promise<GPUAdapter | null>;
}

/** What the dynamically imported module provides. */
export interface WebGpuModule {
  createWebGpuBackend(
    adapter: GPUAdapter,
    opts?: { maxBindingBytes?: number },
  ): Promise<MergeBackend & { readonly context?: { readonly adapterInfo: string } }>;
}

export interface SelectBackendOptions {
  readonly prefer: BackendPreference;
  /** Default: `navigator.gpu`, where it exists. */
  readonly gpu?: GpuEntry | undefined;
  /** Default: `import('./webgpu/webgpu-backend.ts')`. */
  readonly load?: () => Promise<WebGpuModule>;
  /** Default: webgpu/calibrate.ts (a fraction of a second on a real GPU). */
  readonly calibrate?: (gpu: MergeBackend, method?: string) => Promise<Calibration>;
  /** The merge's method: the calibration times it for whole tensors (default: TIES). */
  readonly method?: string;
  /** Cap on one GPU binding (tests use it to force chunking). */
  readonly maxBindingBytes?: number;
  /**
   * 'auto' with a software adapter (SwiftShader: the GPU emulated on the CPU, never faster):
   * 'skip' (default) takes the CPU at once; 'calibrate' measures anyway (tests).
   */
  readonly softwareAdapter?: 'skip' | 'calibrate';
  readonly onLog?: (line: string) => void;
}

const CPU_ROUTES: Routes = { elementwise: 'cpu', wholeTensor: 'cpu' };

function onCpu(
  prefer: BackendPreference,
  reason: string,
  extra: Partial<BackendSelection> = {},
): SelectedBackend {
  return { ...cpuBackend, selection: { prefer, routes: CPU_ROUTES, reason, ...extra } };
}

function defaultGpu(): GpuEntry | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuEntry } }).navigator;
  return nav?.gpu;
}

async function defaultLoad(): Promise<WebGpuModule> {
  return (await import('./webgpu/webgpu-backend.ts')) as WebGpuModule;
}

export async function selectBackend(opts: SelectBackendOptions): Promise<SelectedBackend> {
  const { prefer } = opts;
  if (prefer === 'cpu') return onCpu(prefer, 'the CPU was chosen');
  const forced = prefer === 'webgpu';
  const gpu = 'gpu' in opts ? opts.gpu : defaultGpu();
  let adapter: GPUAdapter | null = null;
  let why = 'this browser has no WebGPU (navigator.gpu is missing)';
  if (gpu) {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    why = 'WebGPU is present but no adapter was offered (blocklisted GPU or disabled)';
  }
  if (!adapter) {
    if (forced) throw new NoGpuAdapterError(why);
    return onCpu(prefer, `CPU: ${why}`);
  }
  if (!forced && (opts.softwareAdapter ?? 'skip') === 'skip' && isSoftware(adapter)) {
    return onCpu(prefer, `CPU: the only WebGPU adapter is a software one (${describe(adapter)})`);
  }
  let gpuBackend: Awaited<ReturnType<WebGpuModule['createWebGpuBackend']>>;
  try {
    const mod = await (opts.load ?? defaultLoad)();
    gpuBackend = await mod.createWebGpuBackend(adapter, {
      ...(opts.maxBindingBytes !== undefined && { maxBindingBytes: opts.maxBindingBytes }),
    });
  } catch (e) {
    if (forced) throw e;
    // Not the error's whole message: it tells a forced GPU merge that it was not run.
    const detail = e instanceof NoGpuAdapterError ? e.detail : (e as Error).message;
    return onCpu(prefer, `CPU: the WebGPU device could not be created (${detail})`);
  }
  const adapterInfo = gpuBackend.context?.adapterInfo ?? 'WebGPU adapter';
  if (forced) {
    return withSelection(withCpuFallback(gpuBackend, GPU_EVERYWHERE, opts.onLog), {
      prefer,
      routes: GPU_EVERYWHERE,
      reason: `WebGPU (${adapterInfo}), as chosen`,
      adapter: adapterInfo,
    });
  }
  let calibration: Calibration;
  try {
    calibration = await (opts.calibrate ?? realCalibrate)(gpuBackend, opts.method);
  } catch (e) {
    gpuBackend.dispose();
    return onCpu(prefer, `CPU: the GPU failed its calibration (${(e as Error).message})`);
  }
  const routes = routesFrom(calibration);
  const detail = `${figures(calibration.elementwise)}; ${figures(calibration.wholeTensor)}`;
  if (routes.elementwise === 'cpu' && routes.wholeTensor === 'cpu') {
    gpuBackend.dispose();
    return onCpu(prefer, `CPU: faster than ${adapterInfo} here (${detail})`, {
      adapter: adapterInfo,
      calibration,
    });
  }
  return withSelection(withCpuFallback(gpuBackend, routes, opts.onLog), {
    prefer,
    routes,
    reason: `WebGPU (${adapterInfo}) for ${
      routes.elementwise === 'webgpu' && routes.wholeTensor === 'webgpu'
        ? 'every tensor'
        : routes.wholeTensor === 'webgpu'
          ? 'whole-tensor methods, CPU for per-element chunks'
          : 'per-element chunks, CPU for whole-tensor methods'
    } (${detail})`,
    adapter: adapterInfo,
    calibration,
  });
}

/** SwiftShader and other CPU implementations of WebGPU. */
function isSoftware(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo | undefined;
  return info?.isFallbackAdapter === true || /swiftshader/i.test(describe(adapter));
}

function describe(adapter: GPUAdapter): string {
  const i = adapter.info as GPUAdapterInfo | undefined;
  return [i?.vendor, i?.architecture, i?.description].filter(Boolean).join(' ') || 'unknown adapter';
}

function figures(t: Calibration['elementwise']): string {
  return `${t.method}: GPU ${t.gpuMs.toFixed(1)} ms, CPU ${t.cpuMs.toFixed(1)} ms`;
}

function withSelection<B extends MergeBackend>(b: B, selection: BackendSelection): B & SelectedBackend {
  return Object.assign(b, { selection });
}
