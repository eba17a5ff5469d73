/**
 * A merge backend runs a method's kernel on float32 tensors. The CPU backend is the reference
 * (it calls the method's own kernel); others (WebGPU) must produce the same numbers within
 * stated tolerances, and may hand a method back to the CPU when they cannot run it.
 */
import type { KernelArgs, MergeMethod } from '../methods/types.ts';

export type BackendName = 'cpu' | 'webgpu';

export interface MergeBackend {
  readonly name: BackendName;
  /**
   * Set by a backend that routes by the kind of tensor: where elementwise tensors and
   * whole-tensor methods actually run. The engine streams CPU-bound tensors from their stored
   * bytes (less memory) instead of handing float32 copies to the backend.
   */
  readonly selection?: {
    readonly routes: { readonly elementwise: BackendName; readonly wholeTensor: BackendName };
  };
  /** Fills `args.out`, with exactly the CPU kernel's contract (inputs are scratch, base is not). */
  run(method: MergeMethod, args: KernelArgs): Promise<void>;
  dispose(): void;
}
