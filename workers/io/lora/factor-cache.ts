/**
 * The LoRA factors of the tensors being read, kept within a byte bound. Factors that a read is
 * using are never dropped, so reads of one tensor at once (the engine's read-ahead issues
 * several) share one load however many other tensors come between them. The others are dropped,
 * least recently used first, as soon as the total is over the bound: once reads end the cache
 * holds at most the bound, even where one tensor's factors alone are larger (those are then
 * read again for a later read of that tensor, which the engine rarely makes).
 *
 * A load runs under the signal of the read that started it and is shared by every read that
 * asks while it runs: when the first read is cancelled, the others load the factors again under
 * their own signals instead of failing with its cancellation.
 */
interface Entry<T> {
  readonly bytes: number;
  readonly value: Promise<T>;
  /** Reads using the value now (waiting for it or patching with it). */
  users: number;
  /** The signal of the read that started the load. */
  readonly signal: AbortSignal | undefined;
}

export class FactorCache<T> {
  /** Least recently used first. */
  private readonly entries = new Map<string, Entry<T>>();
  private held = 0;

  constructor(private readonly bound: number) {}

  /** Bytes of the factors held now, in use or not. */
  get heldBytes(): number {
    return this.held;
  }

  /**
   * Calls `use` with the value of `key`, loading it (`bytes` big) where it is not held. The
   * value stays held while `use` runs; `use` is synchronous, so it never runs twice for one
   * call, even when the load is retried.
   */
  async with<R>(
    key: string,
    bytes: number,
    load: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
    use: (value: T) => R,
  ): Promise<R> {
    for (;;) {
      const e = this.acquire(key, bytes, load, signal);
      let value: T;
      try {
        value = await e.value;
      } catch (err) {
        this.release(e);
        // Another read's load, cancelled by that read: this one loads the factors itself.
        if (e.signal !== signal && e.signal?.aborted && !signal?.aborted) continue;
        throw err;
      }
      try {
        return use(value);
      } finally {
        this.release(e);
      }
    }
  }

  private acquire(
    key: string,
    bytes: number,
    load: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Entry<T> {
    let e = this.entries.get(key);
    if (e) {
      this.entries.delete(key); // set again below, as the most recently used
    } else {
      const entry: Entry<T> = { bytes, value: load(signal), users: 0, signal };
      // A failed load is forgotten at once (this runs before any reader's await resumes), so
      // that the next read tries again.
      entry.value.catch(() => {
        if (this.entries.get(key) === entry) this.drop(key, entry);
      });
      this.held += bytes;
      e = entry;
    }
    this.entries.set(key, e);
    e.users++;
    this.trim();
    return e;
  }

  private release(e: Entry<T>): void {
    e.users--;
    this.trim();
  }

  /** Drops unused values, least recently used first, while the total is over the bound. */
  private trim(): void {
    for (const [key, e] of this.entries) {
      if (this.held <= this.bound) return;
      if (e.users === 0) this.drop(key, e);
    }
  }

  private drop(key: string, e: Entry<T>): void {
    this.entries.delete(key);
    this.held -= e.bytes;
  }
}
