/**
 * Reused buffers for input tensors. A merge reads the same shapes over and over (every layer's
 * MLP matrices); allocating each anew leaves the previous ones for the garbage collector, which
 * in a browser frees them late, so memory could double at the largest tensors.
 *
 * The pool hands out views into a few big ArrayBuffers (slabs), placed first-fit: once the
 * largest tensors (embeddings, lm_head) have made their slabs, every smaller read, the current
 * tensor's and the read-ahead's alike, fits inside them, side by side. Memory then stays at
 * about one set of the largest inputs for the whole job (measured: docs/browser.md).
 */

/** Views start on 64-byte boundaries, so typed views of any element size stay aligned. */
const ALIGN = 64;

interface Range {
  readonly start: number;
  readonly end: number;
}

interface Slab {
  readonly buffer: ArrayBufferLike;
  /** Views handed out and not yet released, sorted by start. */
  readonly live: Range[];
}

export class BufferPool {
  private readonly slabs: Slab[] = [];

  constructor(
    /** How many wholly unused slabs to keep (the smallest go first). */
    private readonly maxFree = 8,
    /** Slabs are SharedArrayBuffers, so compute lanes in other workers can read them. */
    private readonly shared = false,
  ) {}

  /** A view of exactly `size` bytes: in a gap of the smallest slab that has one, or a new slab. */
  acquire(size: number): Uint8Array {
    const placed = place(this.slabs, size);
    if (placed) return new Uint8Array(placed.slab.buffer, placed.at, size);
    const buffer = this.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
    const slab: Slab = { buffer, live: [{ start: 0, end: size }] };
    this.slabs.push(slab);
    this.slabs.sort((a, b) => a.buffer.byteLength - b.buffer.byteLength);
    return new Uint8Array(slab.buffer, 0, size);
  }

  /**
   * Whether views of these sizes, acquired in this order, would all fit in the slabs as they
   * are (no new slab). Read-ahead asks this, so that reading ahead never grows the pool.
   */
  fits(sizes: readonly number[]): boolean {
    const slabs = this.slabs.map((s) => ({ buffer: s.buffer, live: [...s.live] }));
    return sizes.every((size) => place(slabs, size) !== undefined);
  }

  /** Gives a view back. The caller must hold no view of those bytes any more. */
  release(view: Uint8Array): void {
    const slab = this.slabs.find((s) => s.buffer === view.buffer);
    const i = slab ? slab.live.findIndex((r) => r.start === view.byteOffset) : -1;
    if (!slab || i < 0) return;
    slab.live.splice(i, 1);
    const unused = this.slabs.filter((s) => s.live.length === 0);
    for (const s of unused.slice(0, Math.max(0, unused.length - this.maxFree)))
      this.slabs.splice(this.slabs.indexOf(s), 1);
  }

  /** Bytes held in slabs that no view uses (for tests). */
  get spareBytes(): number {
    return this.slabs.filter((s) => s.live.length === 0).reduce((n, s) => n + s.buffer.byteLength, 0);
  }

  /** Bytes held in all slabs (for tests). */
  get heldBytes(): number {
    return this.slabs.reduce((n, s) => n + s.buffer.byteLength, 0);
  }
}

/** Marks `size` bytes live in the first slab with a gap for them (first-fit), if any has one. */
function place(slabs: readonly Slab[], size: number): { slab: Slab; at: number } | undefined {
  for (const slab of slabs) {
    const at = gapFor(slab, size);
    if (at === undefined) continue;
    slab.live.push({ start: at, end: at + size });
    slab.live.sort((a, b) => a.start - b.start);
    return { slab, at };
  }
  return undefined;
}

/** The first aligned offset in `slab` with `size` free bytes, if any. */
function gapFor(slab: Slab, size: number): number | undefined {
  let from = 0;
  for (const r of slab.live) {
    if (r.start - from >= size) return from;
    from = Math.ceil(r.end / ALIGN) * ALIGN;
  }
  return slab.buffer.byteLength - from >= size ? from : undefined;
}
