/**
 * Reused buffers for big input tensors. A merge reads the same shapes over and over (every
 * layer's MLP matrices); allocating each anew leaves the previous ones for the garbage
 * collector, which in a browser frees them late, so memory could double at the largest
 * tensors. Reading into buffers from this pool keeps it near one set of inputs.
 */

export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  /** How many spare buffers to keep (the smallest go first). */
  constructor(private readonly maxFree = 8) {}

  /**
   * A view of exactly `size` bytes: on the smallest spare buffer that holds it, or a new one.
   * A big spare serves a small request rather than sit idle beside a new allocation: after
   * the 131 MB embeddings, a model's 23 MB layer tensors reuse those buffers.
   */
  acquire(size: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const n = this.free[i]!.byteLength;
      if (n >= size && (best < 0 || n < this.free[best]!.byteLength)) best = i;
    }
    if (best < 0) return new Uint8Array(size);
    return new Uint8Array(this.free.splice(best, 1)[0]!, 0, size);
  }

  /** Gives a buffer back. The caller must hold no view of it any more. */
  release(buf: Uint8Array): void {
    this.free.push(buf.buffer as ArrayBuffer);
    this.free.sort((a, b) => b.byteLength - a.byteLength);
    this.free.length = Math.min(this.free.length, this.maxFree);
  }

  /** Spare bytes held (for tests). */
  get spareBytes(): number {
    return this.free.reduce((s, b) => s + b.byteLength, 0);
  }
}
