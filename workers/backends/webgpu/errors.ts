/**
 * Why a GPU run did not produce a tensor, as classes the CPU-fallback wrapper can tell apart.
 *
 * This file holds no GPU code, so select-backend.ts may import it statically while the rest of
 * the WebGPU backend is loaded only once an adapter exists.
 *
 * - GpuDeviceLostError: the device is gone (driver reset, tab backgrounded, device.destroy()).
 *   The job continues on the CPU for every remaining tensor.
 * - GpuUnsupportedError: this one tensor is better done by the CPU (bf16/f16-emulated math,
 *   a shape past the device's limits, out of GPU memory, a numeric corner the CPU settles).
 *   The next tensor tries the GPU again.
 * Anything else thrown by the GPU backend is a bug or a driver fault: the wrapper re-runs the
 * tensor on the CPU and stops using the GPU for the rest of the job.
 */

export class GpuDeviceLostError extends Error {
  override readonly name: string = 'GpuDeviceLostError';
  constructor(reason: string) {
    super(
      `the GPU device was lost (${reason}); the merge continues on the CPU. ` +
        'Closing other GPU-heavy tabs or updating the graphics driver may help next time.',
    );
  }
}

export class GpuUnsupportedError extends Error {
  override readonly name: string = 'GpuUnsupportedError';
}

/**
 * Every adapter request failed or returned null: the browser has no usable WebGPU. Thrown when
 * the GPU was chosen: such a merge does not fall back to the CPU ("automatic" does), so it was
 * not run.
 */
export class NoGpuAdapterError extends Error {
  override readonly name: string = 'NoGpuAdapterError';
  /** Why there is no adapter, without the advice. */
  readonly detail: string;
  constructor(detail: string) {
    super(
      `WebGPU is not available here (${detail}), so this merge, set to compute on the GPU, was not ` +
        'run. Choose “automatic” or “CPU” under “Compute on” to merge on the CPU; for the GPU use ' +
        'a recent Chrome or Edge, or Chromium with --enable-unsafe-webgpu.',
    );
    this.detail = detail;
  }
}

export function isDeviceLost(e: unknown): boolean {
  return e instanceof Error && e.name === 'GpuDeviceLostError';
}

export function isUnsupported(e: unknown): boolean {
  return e instanceof Error && e.name === 'GpuUnsupportedError';
}
