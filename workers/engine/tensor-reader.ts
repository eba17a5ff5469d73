/**
 * Reads input tensors in plan order with few requests: consecutive tensors of one file that
 * lie next to each other are fetched as one contiguous range (up to `maxBlock` bytes), which
 * is what keeps Hub merges within its rate limits. At most one block per model is held.
 */
import type { LoadedModel } from '../io/load-model.ts';
import type { ByteSource } from '../io/source.ts';

export interface ReadRequest {
  readonly model: string;
  readonly tensor: string;
}

interface Block {
  readonly file: string;
  readonly begin: number;
  readonly end: number;
  /** Index of the last request this block serves. */
  readonly lastUse: number;
}

export interface ReaderStats {
  requests: number;
  bytes: number;
}

/** Bytes between neighbouring tensors we read through rather than start a new request for. */
const MAX_GAP = 64 * 1024;

export class ModelTensorReader {
  private readonly blocks: Block[] = [];
  private readonly blockOf: number[] = [];
  private current: { index: number; data: Promise<Uint8Array> } | undefined;
  private readonly sources = new Map<string, Promise<ByteSource>>();
  private cursor = 0;

  constructor(
    private readonly model: LoadedModel,
    private readonly order: readonly string[],
    private readonly stats: ReaderStats,
    maxBlock: number,
  ) {
    for (const [i, name] of order.entries()) {
      const t = model.tensors.get(name)!;
      const last = this.blocks[this.blocks.length - 1];
      if (
        last &&
        last.file === t.file &&
        t.begin >= last.end &&
        t.begin - last.end <= MAX_GAP &&
        t.end - last.begin <= maxBlock
      ) {
        this.blocks[this.blocks.length - 1] = { ...last, end: t.end, lastUse: i };
      } else {
        this.blocks.push({ file: t.file, begin: t.begin, end: t.end, lastUse: i });
      }
      this.blockOf.push(this.blocks.length - 1);
    }
  }

  /** The number of range requests the whole job will make for this model. */
  get plannedRequests(): number {
    return this.blocks.length;
  }

  /** The bytes of the next tensor in plan order (must be asked for in that order). */
  async next(name: string, signal?: AbortSignal): Promise<Uint8Array> {
    const i = this.cursor++;
    if (this.order[i] !== name)
      throw new Error(`reader out of order: expected ${this.order[i]}, got ${name}`);
    const b = this.blockOf[i]!;
    if (!this.current || this.current.index !== b) this.current = { index: b, data: this.fetch(b, signal) };
    const block = this.blocks[b]!;
    const data = await this.current.data;
    const t = this.model.tensors.get(name)!;
    const bytes = data.subarray(t.begin - block.begin, t.end - block.begin);
    // Release the block with its last tensor (unless a later read already moved on).
    if (block.lastUse === i && this.current?.index === b) this.current = undefined;
    return bytes;
  }

  /** Moves past the next tensor without reading it (a shard already written by an earlier run). */
  skip(name: string): void {
    const i = this.cursor++;
    if (this.order[i] !== name)
      throw new Error(`reader out of order: expected ${this.order[i]}, got ${name}`);
    const b = this.blockOf[i]!;
    if (this.blocks[b]!.lastUse === i && this.current?.index === b) this.current = undefined;
  }

  private async fetch(b: number, signal?: AbortSignal): Promise<Uint8Array> {
    const block = this.blocks[b]!;
    let src = this.sources.get(block.file);
    if (!src) this.sources.set(block.file, (src = this.model.source.open(block.file, signal)));
    const data = await (await src).read(block.begin, block.end - block.begin, signal);
    this.stats.requests++;
    this.stats.bytes += data.byteLength;
    return data;
  }
}
