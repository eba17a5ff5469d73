/**
 * A backend that runs each tensor on the GPU when its route says so, and on the CPU otherwise
 * or when the GPU fails, without losing the tensor: the GPU backend never writes the inputs
 * and writes `out` last, so the CPU kernel can take the very same arguments.
 *
 * - GpuUnsupportedError: this tensor goes to the CPU, the next one tries the GPU again.
 * - GpuDeviceLostError, or any other error: this tensor and every later one run on the CPU,
 *   and the user is told once (a warning in the merge result).
 *
 * No GPU code here: select-backend.ts imports it before knowing whether WebGPU exists.
 */
import type { KernelArgs, MergeMethod } from '../../methods/types.ts';
import { cpuBackend } from '../cpu/cpu-backend.ts';
import type { BackendName, MergeBackend } from '../types.ts';
import { isDeviceLost, isUnsupported } from './errors.ts';

/** Which backend runs a tensor: per-element (chunked) methods and whole-tensor ones apart. */
export interface Routes {
  readonly elementwise: BackendName;
  readonly wholeTensor: BackendName;
}

export const GPU_EVERYWHERE: Routes = { elementwise: 'webgpu', wholeTensor: 'webgpu' };

export interface FallbackStats {
  gpuTensors: number;
  cpuTensors: number;
  /** Tensors the GPU handed back (unsupported there) or failed on. */
  handedBack: number;
  /** Set once the GPU is abandoned for the rest of the job. */
  gpuOffReason: string | undefined;
}

export interface FallbackBackend extends MergeBackend {
  readonly stats: FallbackStats;
}

export function withCpuFallback(
  gpu: MergeBackend,
  routes: Routes = GPU_EVERYWHERE,
  onLog?: (line: string) => void,
): FallbackBackend {
  const stats: FallbackStats = { gpuTensors: 0, cpuTensors: 0, handedBack: 0, gpuOffReason: undefined };
  const routeOf = (m: MergeMethod, a: KernelArgs): BackendName =>
    m.elementwise(a.global, a.perModel) ? routes.elementwise : routes.wholeTensor;
  return {
    get name(): BackendName {
      return stats.gpuOffReason === undefined ? gpu.name : 'cpu';
    },
    stats,
    async run(method, args) {
      if (stats.gpuOffReason === undefined && routeOf(method, args) === 'webgpu') {
        try {
          await gpu.run(method, args);
          stats.gpuTensors++;
          return;
        } catch (e) {
          stats.handedBack++;
          if (isUnsupported(e)) {
            onLog?.(`cpu: ${(e as Error).message}`);
          } else {
            const message = e instanceof Error ? e.message : String(e);
            stats.gpuOffReason = message;
            const line = isDeviceLost(e)
              ? message
              : `the GPU backend failed (${message}); the merge continues on the CPU`;
            args.warn(line);
            onLog?.(`warning: ${line}`);
            try {
              gpu.dispose();
            } catch {
              // already gone
            }
          }
        }
      }
      stats.cpuTensors++;
      await cpuBackend.run(method, args);
    },
    dispose: () => gpu.dispose(),
  };
}
