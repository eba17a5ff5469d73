/**
 * One GPU device for the merge, with the limits the adapter allows (not the WebGPU defaults of
 * 256 MiB buffers / 128 MiB bindings, which a 7B model's embedding matrix already exceeds),
 * a cache of compiled pipelines, and the device-lost state every run checks.
 *
 * Errors are caught with error scopes: 'out-of-memory' means "this tensor is too big for the
 * GPU now" (the CPU takes it), 'validation' and 'internal' mean a bug or a driver fault.
 */
import { GpuDeviceLostError, GpuUnsupportedError, NoGpuAdapterError } from './errors.ts';

export interface Kernel {
  /** Unique per WGSL source: the pipeline cache key. */
  readonly name: string;
  /** A WGSL module with one entry point, `main`. */
  readonly code: string;
}

export interface GpuContextOptions {
  /**
   * Upper bound on one storage binding, below the device's own limit. Tests set it small to
   * force the chunked paths that real multi-GB tensors take.
   */
  readonly maxBindingBytes?: number;
}

export class GpuContext {
  readonly maxBindingBytes: number;
  readonly maxBufferBytes: number;
  readonly adapterInfo: string;
  /** Segments of the last tensor run (more than 1: chunked), for tests and logs. */
  lastSegments = 0;
  private lostReason: string | undefined;
  private readonly lostPromise: Promise<never>;
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  private constructor(
    readonly device: GPUDevice,
    adapterInfo: string,
    opts: GpuContextOptions,
  ) {
    const lim = device.limits;
    // Bindings must be a multiple of 4 bytes; keep them a multiple of 256 (offset alignment).
    const deviceBind = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
    this.maxBindingBytes = Math.floor(Math.min(deviceBind, opts.maxBindingBytes ?? Infinity) / 256) * 256;
    this.maxBufferBytes = lim.maxBufferSize;
    this.adapterInfo = adapterInfo;
    this.lostPromise = device.lost.then((info) => {
      this.lostReason = info.message || info.reason || 'unknown reason';
      throw new GpuDeviceLostError(this.lostReason);
    });
    this.lostPromise.catch(() => undefined); // observed by race(); never an unhandled rejection
  }

  /** A device with the adapter's largest buffer and binding sizes. */
  static async create(adapter: GPUAdapter, opts: GpuContextOptions = {}): Promise<GpuContext> {
    const a = adapter.limits;
    const device = await adapter
      .requestDevice({
        requiredLimits: {
          maxBufferSize: a.maxBufferSize,
          maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
          maxComputeWorkgroupStorageSize: Math.min(a.maxComputeWorkgroupStorageSize, 32768),
          maxStorageBuffersPerShaderStage: Math.min(a.maxStorageBuffersPerShaderStage, 8),
        },
      })
      .catch((e: unknown) => {
        throw new NoGpuAdapterError(`the adapter refused a device: ${(e as Error).message}`);
      });
    const info = adapter.info;
    const desc = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
    return new GpuContext(device, desc || 'unknown adapter', opts);
  }

  get isLost(): boolean {
    return this.lostReason !== undefined;
  }

  assertAlive(): void {
    if (this.lostReason !== undefined) throw new GpuDeviceLostError(this.lostReason);
  }

  /**
   * Resolves like `p`, or rejects with GpuDeviceLostError as soon as the device is lost. A
   * mapAsync cut short by the loss may reject (AbortError) before `device.lost` settles: a
   * failure is reported as the loss when the device turns out lost shortly after.
   */
  async race<T>(p: Promise<T>): Promise<T> {
    try {
      return await Promise.race([p, this.lostPromise]);
    } catch (e) {
      if (e instanceof GpuDeviceLostError) throw e;
      await Promise.race([this.lostPromise.catch(() => undefined), new Promise((r) => setTimeout(r, 100))]);
      if (this.lostReason !== undefined) throw new GpuDeviceLostError(this.lostReason);
      throw e;
    }
  }

  pipeline(kernel: Kernel): GPUComputePipeline {
    let p = this.pipelines.get(kernel.name);
    if (!p) {
      const module = this.device.createShaderModule({ label: kernel.name, code: kernel.code });
      p = this.device.createComputePipeline({
        label: kernel.name,
        layout: 'auto',
        compute: { module, entryPoint: 'main' },
      });
      this.pipelines.set(kernel.name, p);
    }
    return p;
  }

  pushScopes(): void {
    this.device.pushErrorScope('internal');
    this.device.pushErrorScope('validation');
    this.device.pushErrorScope('out-of-memory');
  }

  /** Pops the three scopes of pushScopes and throws the first error found. */
  async popScopes(): Promise<void> {
    const oom = await this.race(this.device.popErrorScope());
    const validation = await this.race(this.device.popErrorScope());
    const internal = await this.race(this.device.popErrorScope());
    if (oom) throw new GpuUnsupportedError(`not enough GPU memory for this tensor (${oom.message})`);
    const e = validation ?? internal;
    if (e) throw new Error(`WebGPU error: ${e.message}`);
  }

  destroy(): void {
    this.lostReason ??= 'the backend was disposed';
    this.device.destroy();
  }
}
