/**
 * One block of memory for a model's packed weights and every activation buffer of its forward
 * pass, sized once up front. With WebAssembly it is the module's linear memory, so the SIMD
 * kernel reads and writes the same Float32Arrays the JS code does, with no copies. It never
 * grows: growing a WebAssembly memory detaches every view of it.
 */
import { instantiateKernels, type KernelExports } from '../wasm/kernel-module.ts';

/** Allocations are 16-byte aligned (one f32x4), so vector loads never straddle. */
const ALIGN_FLOATS = 4;
const PAGE = 65536;
/** wasm32 addresses 4 GiB; browsers cap a memory at about that (Chrome: 65536 pages). */
const MAX_WASM_PAGES = 65536;

export class Arena {
  private used = 0;
  private constructor(
    readonly buffer: ArrayBuffer,
    readonly capacity: number,
    readonly wasm: KernelExports | undefined,
  ) {}

  /**
   * An arena of `floats` float32 slots: in WebAssembly memory when SIMD is available and
   * `backend` allows it, otherwise a plain ArrayBuffer (the JS reference kernels).
   */
  static create(floats: number, backend: 'auto' | 'js' = 'auto'): Arena {
    const bytes = Math.ceil(floats / ALIGN_FLOATS) * ALIGN_FLOATS * 4;
    if (backend === 'auto') {
      const pages = Math.max(1, Math.ceil(bytes / PAGE));
      if (pages <= MAX_WASM_PAGES && typeof WebAssembly === 'object') {
        const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
        const wasm = instantiateKernels(memory);
        if (wasm) return new Arena(memory.buffer, bytes / 4, wasm);
      }
    }
    return new Arena(new ArrayBuffer(bytes), bytes / 4, undefined);
  }

  /** A zeroed view of `n` floats. */
  alloc(n: number): Float32Array {
    const start = this.used;
    const end = start + Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS;
    if (end > this.capacity) {
      throw new RangeError(`arena of ${this.capacity} floats is full (asked for ${n} more at ${start})`);
    }
    this.used = end;
    return new Float32Array(this.buffer, start * 4, n);
  }

  /** The kernels address this arena's memory: a view of any other buffer is a bug. */
  check(...views: readonly Float32Array[]): void {
    for (const v of views) {
      if (v.buffer !== this.buffer)
        throw new RangeError('a buffer passed to the WebAssembly kernels is not in their arena');
    }
  }

  /** Floats to reserve for an allocation of `n` (its rounding to the alignment). */
  static slot(n: number): number {
    return Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS;
  }
}
