/**
 * Where a tensor's encoded output goes. Kept whole in memory (tests, benchmarks), or streamed:
 * chunks of the output are encoded into 8 MB staging buffers that are written at their offsets
 * as soon as they fill, while the kernel goes on. A merge then never holds a whole encoded
 * output tensor (for a 7B model's embeddings, 262 MB saved), and the disk works while the CPU
 * does.
 */
import { DTYPE_SIZE, encodeFromF32, type WritableDType } from '../io/dtypes.ts';

/** Writes `bytes` at `offset` bytes from the start of the tensor's data. */
export type TensorWrite = (offset: number, bytes: Uint8Array) => Promise<void>;

/** 8 MB: large enough for efficient writes, small enough to be negligible beside the inputs. */
const STAGE_BYTES = 8 * 1024 * 1024;

export class OutputStager {
  /** The whole encoded tensor, when no writer was given. */
  readonly whole: Uint8Array | undefined;
  private stage: Uint8Array | undefined;
  private stageStart = 0;
  private stageUsed = 0;
  private readonly pending: Promise<void>[] = [];
  private failure: unknown;
  private readonly size: number;

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
      if (!this.stage) {
        this.stage = new Uint8Array(STAGE_BYTES - (STAGE_BYTES % this.size));
        this.stageStart = (start + done) * this.size;
        this.stageUsed = 0;
      }
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
    const p = this.write!(this.stageStart, this.stage.subarray(0, this.stageUsed));
    p.catch((e: unknown) => (this.failure ??= e));
    this.pending.push(p);
    this.stage = undefined;
  }

  /** Writes what is staged and waits for every write of this tensor. */
  async finish(): Promise<void> {
    this.flush();
    await Promise.all(this.pending);
    if (this.failure) throw this.failure;
  }
}
