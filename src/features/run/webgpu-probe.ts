/**
 * Whether "Compute on: GPU (WebGPU)" can work in this browser: navigator.gpu must exist and
 * offer an adapter. Without one, a merge forced onto the GPU fails (it never falls back to the
 * CPU, which "automatic" does), so the option is disabled with the reason.
 */

/** The part of `navigator.gpu` used here (injectable for tests). */
export interface GpuProbeEntry {
  requestAdapter(options?: GPURequestAdapterOptions): Promise<GPUAdapter | null>;
}

export const NO_WEBGPU = 'this browser has no WebGPU';
export const NO_ADAPTER = 'WebGPU offers no adapter here (GPU blocklisted or disabled)';

/** `navigator.gpu`, where there is one. */
export function navigatorGpu(): GpuProbeEntry | undefined {
  return (globalThis as { navigator?: { gpu?: GpuProbeEntry } }).navigator?.gpu;
}

/** Why WebGPU cannot be chosen, known without waiting: undefined while an adapter may exist. */
export function webGpuMissingReason(gpu: GpuProbeEntry | undefined = navigatorGpu()): string | undefined {
  return gpu ? undefined : NO_WEBGPU;
}

let probed: Promise<string | undefined> | undefined;

/** Why WebGPU cannot be chosen (undefined: it can). Asks for an adapter once per page. */
export function webGpuUnavailableReason(
  gpu: GpuProbeEntry | undefined = navigatorGpu(),
): Promise<string | undefined> {
  const missing = webGpuMissingReason(gpu);
  if (missing) return Promise.resolve(missing);
  probed ??= gpu!.requestAdapter({ powerPreference: 'high-performance' }).then(
    (a) => (a ? undefined : NO_ADAPTER),
    () => NO_ADAPTER,
  );
  return probed;
}

/** Forgets the probe (tests). */
export function resetWebGpuProbe(): void {
  probed = undefined;
}
