/**
 * The merge kernels' memory: one WebAssembly.Memory per realm (page or worker), shared by every
 * merge that runs there, with a small first-fit allocator over it.
 *
 * The kernels can only address their own linear memory, so the streaming code allocates its
 * chunk buffers and histograms here once per tensor (Scratch) and copies raw chunk bytes in,
 * which is cheap next to the arithmetic. A WebAssembly memory can only grow, and growing it
 * detaches every view of the old buffer, so it grows only while nothing is allocated; when a
 * request does not fit beside live blocks the caller gets a plain typed array instead and the
 * kernels take their JS path, which computes the same bits.
 */
import { instantiateMergeKernels, type MergeKernels } from './merge-module.ts';

const PAGE = 65536;
/** 16 MiB: the chunk buffers and histograms of a ten-model TIES merge at 64K-element chunks. */
const INITIAL_PAGES = 256;
/** 1 GiB: far above what chunked merging needs; only reached by a very unusual request. */
const MAX_PAGES = 16384;
/** Allocations are 64-byte aligned (a cache line; v128 loads want 16). */
const ALIGN = 64;
/**
 * Bytes [0, 128) are never allocated: they carry small kernel arguments and results (tie
 * counters, float64 partial sums) for the one kernel call running at a time.
 */
export const PARAMS = 0;
const PARAMS_BYTES = 128;

interface Block {
  readonly start: number;
  readonly end: number;
}

export class SimdArena {
  /** Live blocks, sorted by start. */
  private readonly blocks: Block[] = [];

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly k: MergeKernels,
  ) {}

  static create(): SimdArena | undefined {
    if (typeof WebAssembly !== 'object') return undefined;
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES });
    const k = instantiateMergeKernels(memory);
    return k && new SimdArena(memory, k);
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** Whether a view lies in this arena's memory (so the kernels can address it). */
  holds(v: ArrayBufferView): boolean {
    return v.buffer === this.memory.buffer;
  }

  get liveBlocks(): number {
    return this.blocks.length;
  }

  /** The byte offset of `bytes` fresh bytes, or undefined when they do not fit. */
  alloc(bytes: number): number | undefined {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let prev = PARAMS_BYTES;
    for (let i = 0; i <= this.blocks.length; i++) {
      const next = this.blocks[i];
      const limit = next ? next.start : this.memory.buffer.byteLength;
      if (limit - prev >= size) {
        this.blocks.splice(i, 0, { start: prev, end: prev + size });
        return prev;
      }
      if (next) prev = next.end;
    }
    if (this.blocks.length > 0) return undefined;
    const pages = Math.ceil((PARAMS_BYTES + size) / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (this.memory.buffer.byteLength / PAGE + pages > MAX_PAGES) return undefined;
    this.memory.grow(pages);
    return this.alloc(bytes);
  }

  free(ptr: number): void {
    const i = this.blocks.findIndex((b) => b.start === ptr);
    if (i < 0) throw new Error(`arena: no block at ${ptr} to free`);
    this.blocks.splice(i, 1);
  }
}

let enabled = true;
let shared: SimdArena | null | undefined;

/** The realm's arena, or undefined where WebAssembly SIMD is unavailable or switched off. */
export function simdArena(): SimdArena | undefined {
  if (!enabled) return undefined;
  if (shared === undefined) shared = SimdArena.create() ?? null;
  return shared ?? undefined;
}

/**
 * Switches the WebAssembly kernels off (or back on) for this realm: everything then runs the
 * JS reference, as in a browser without SIMD. For tests and benchmarks; the bits are the same.
 */
export function setSimdEnabled(on: boolean): void {
  enabled = on;
}

type Typed = Float32Array | Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array;
type TypedCtor<T extends Typed> = {
  new (length: number): T;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/**
 * Zeroed typed arrays for one computation, in the arena when they fit (else ordinary arrays),
 * all given back by release(). Use with try / finally.
 */
export class Scratch {
  private readonly ptrs: number[] = [];

  constructor(private readonly arena: SimdArena | undefined = simdArena()) {}

  f32 = (n: number): Float32Array => this.make(Float32Array, n);
  f64 = (n: number): Float64Array => this.make(Float64Array, n);
  u32 = (n: number): Uint32Array => this.make(Uint32Array, n);
  u16 = (n: number): Uint16Array => this.make(Uint16Array, n);
  u8 = (n: number): Uint8Array => this.make(Uint8Array, n);
  i32 = (n: number): Int32Array => this.make(Int32Array, n);

  /** Gives one array back early (a no-op for an array outside the arena). */
  free(view: ArrayBufferView): void {
    const i = this.arena?.holds(view) ? this.ptrs.indexOf(view.byteOffset) : -1;
    if (i < 0) return;
    this.arena!.free(view.byteOffset);
    this.ptrs.splice(i, 1);
  }

  release(): void {
    for (const p of this.ptrs) this.arena!.free(p);
    this.ptrs.length = 0;
  }

  private make<T extends Typed>(ctor: TypedCtor<T>, n: number): T {
    const ptr = this.arena?.alloc(n * ctor.BYTES_PER_ELEMENT);
    if (ptr === undefined) return new ctor(n);
    this.ptrs.push(ptr);
    const v = new ctor(this.arena!.buffer, ptr, n);
    v.fill(0);
    return v;
  }
}
