/**
 * Where a tensor's encoded output goes. Kept whole in memory (tests, benchmarks), or streamed:
 * chunks of the output are encoded into 8 MB staging buffers that are written at their offsets
 * as soon as they fill, while the kernel goes on. A merge then never holds a whole encoded
 * output tensor (for a 7B model's embeddings, 262 MB saved), and the disk works while the CPU
 * does. A staging buffer goes back to a small realm-wide spare list once its write has finished
 * (not before: an asynchronous writer may still be reading it), so a job allocates a few of
 * them instead of one per 8 MB written, which a browser's collector freed late.
 */
import { DTYPE_SIZE, encodeFromF32, type WritableDType } from '../io/dtypes.ts';

/**
 * Writes `bytes` at `offset` bytes from the start of the tensor's data. A writer that has
 * finished before returning (OPFS sync access handles) returns undefined: its staging buffer
 * is then reused at once, so a tensor of any size goes out through one 8 MB buffer. Otherwise
 * the buffer waits for the promise; the kernel runs synchronously between its pauses, so the
 * loop that drives it awaits `backlog()` at each pause, or a whole tensor's output could be
 * staged before the first write finished (saving through createWritable, bench:browser's
 * peak was 893 MB without the wait and 814-835 MB with it).
 */
export type TensorWrite = (offset: number, bytes: Uint8Array) => Promise<void> | undefined;

/** 8 MB: large enough for efficient writes, small enough to be negligible beside the inputs. */
const STAGE_BYTES = 8 * 1024 * 1024;
/** Staging buffers whose writes have finished, ready for the next tensor's output. */
const spares: ArrayBufferLike[] = [];
const MAX_SPARES = 4;
let sharedStages = false;
let stageBytes = STAGE_BYTES;

/**
 * New staging buffers are SharedArrayBuffers of `bytes` from now on in this realm: a compute
 * lane's (./parallel), whose staged output the coordinating worker then reads without a copy
 * in the message. Smaller than the merge worker's: several lanes each keep a few.
 */
export function useSharedStages(bytes: number): void {
  if (sharedStages && bytes === stageBytes) return;
  sharedStages = true;
  stageBytes = bytes;
  spares.length = 0;
}

/** How many staging buffers wait in the spare list (for tests). */
export function spareStages(): number {
  return spares.length;
}

export class OutputStager {
  /** The whole encoded tensor, when no writer was given. */
  readonly whole: Uint8Array | undefined;
  private stage: Uint8Array | undefined;
  private stageStart = 0;
  private stageUsed = 0;
  private readonly pending: Promise<void>[] = [];
  private failure: unknown;
  private readonly size: number;
  /** Writes handed to the writer and not settled yet. */
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  /** Milliseconds spent in backlog() waiting for writes. */
  waitedMs = 0;

  constructor(
    numel: number,
    private readonly dtype: WritableDType,
    private readonly write?: TensorWrite,
  ) {
    this.size = DTYPE_SIZE[dtype];
    this.whole = write ? undefined : new Uint8Array(numel * this.size);
  }

  get byteLength(): number {
    return this.whole?.byteLength ?? 0;
  }

  /** Encodes elements [start, start + values.length) of the output; chunks come in order. */
  push(start: number, values: Float32Array): void {
    if (this.whole) {
      encodeFromF32(
        values,
        this.dtype,
        this.whole.subarray(start * this.size, (start + values.length) * this.size),
      );
      return;
    }
    let done = 0;
    while (done < values.length) {
      this.stage ??= new Uint8Array(
        spares.pop() ?? (sharedStages ? new SharedArrayBuffer(stageBytes) : new ArrayBuffer(stageBytes)),
        0,
        stageBytes - (stageBytes % this.size),
      );
      if (this.stageUsed === 0) this.stageStart = (start + done) * this.size;
      const room = (this.stage.byteLength - this.stageUsed) / this.size;
      const n = Math.min(room, values.length - done);
      encodeFromF32(
        values.subarray(done, done + n),
        this.dtype,
        this.stage.subarray(this.stageUsed, this.stageUsed + n * this.size),
      );
      this.stageUsed += n * this.size;
      done += n;
      if (this.stageUsed === this.stage.byteLength) this.flush();
    }
  }

  private flush(): void {
    if (!this.stage || this.stageUsed === 0) return;
    const buffer = this.stage.buffer;
    const p = this.write!(this.stageStart, this.stage.subarray(0, this.stageUsed));
    if (p === undefined) {
      this.stageUsed = 0;
      return; // written: the same buffer takes the next chunk
    }
    this.inFlight++;
    const done = p.then(() => {
      if (spares.length < MAX_SPARES) spares.push(buffer);
    });
    done
      .catch((e: unknown) => (this.failure ??= e))
      .finally(() => {
        this.inFlight--;
        this.waiters.shift()?.();
      });
    this.pending.push(done);
    this.stage = undefined;
    this.stageUsed = 0;
  }

  /**
   * Undefined while at most `max` writes are in flight; otherwise a promise that settles once
   * no more than `max` are (a failed write shows in finish()). For the loop that drives the
   * kernel, between chunks: what bounds the staging memory with an asynchronous writer.
   */
  backlog(max: number): Promise<void> | undefined {
    return this.inFlight <= max ? undefined : this.drain(max);
  }

  private async drain(max: number): Promise<void> {
    const t0 = performance.now();
    while (this.inFlight > max) await new Promise<void>((r) => this.waiters.push(r));
    this.waitedMs += performance.now() - t0;
  }

  /** The first write that failed, if any (finish() throws it too). */
  get writeFailure(): unknown {
    return this.failure;
  }

  /** Writes what is staged and waits for every write of this tensor. */
  async finish(): Promise<void> {
    this.flush();
    if (this.stage && spares.length < MAX_SPARES) spares.push(this.stage.buffer);
    this.stage = undefined;
    await Promise.all(this.pending);
    if (this.failure) throw this.failure;
  }
}
