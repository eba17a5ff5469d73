/**
 * Reads input tensors with few requests and bounded memory. All the tensors a job needs from a
 * model are known up front: sorted by file and offset, neighbouring ones are grouped into
 * contiguous blocks of up to `maxBlock` bytes (one HTTP range request each), which is what
 * keeps Hub merges within its rate limits. Tensors are then asked for in plan order (by name),
 * which need not follow the file; at most `maxBlocksHeld` blocks per model stay in memory: a
 * block is dropped after its last use, or evicted (least recently used) and fetched again.
 */
import type { LoadedModel } from '../io/load-model.ts';
import type { ByteSource } from '../io/source.ts';
import type { BufferPool } from './buffer-pool.ts';

interface Block {
  readonly file: string;
  readonly begin: number;
  readonly end: number;
}

export interface ReaderStats {
  requests: number;
  bytes: number;
  /** Called after each read adds to the counts (progress while inputs download). */
  onRead?: () => void;
}

/** Bytes between neighbouring tensors we read through rather than start a new request for. */
const MAX_GAP = 64 * 1024;

export class ModelTensorReader {
  private readonly blocks: Block[] = [];
  /**
   * Blocks read into pooled buffers: those whose uses come one after another in plan order
   * (so the block cannot be evicted and read again between them). Given back to the pool when
   * release() was called for each of its uses.
   */
  private readonly pooledBlock = new Map<string, number>();
  private readonly pooledData = new Map<number, Uint8Array>();
  /** Each pooled block (and only those): its uses not yet released or skipped. */
  private readonly unreleased = new Map<number, number>();
  private readonly blockOf: number[] = [];
  private readonly lastUse: number[] = [];
  /** Blocks in memory, least recently used first. */
  private readonly held = new Map<number, Promise<Uint8Array>>();
  private readonly sources = new Map<string, Promise<ByteSource>>();
  private cursor = 0;

  constructor(
    private readonly model: LoadedModel,
    private readonly order: readonly string[],
    private readonly stats: ReaderStats,
    maxBlock: number,
    private readonly maxBlocksHeld = 2,
    private readonly pool?: BufferPool,
  ) {
    const unique = [...new Set(order)].map((name) => ({ name, t: model.tensors.get(name)! }));
    unique.sort((a, b) => (a.t.file < b.t.file ? -1 : a.t.file > b.t.file ? 1 : a.t.begin - b.t.begin));
    const blockByName = new Map<string, number>();
    for (const { name, t } of unique) {
      const last = this.blocks[this.blocks.length - 1];
      if (
        last &&
        last.file === t.file &&
        t.begin >= last.end &&
        t.begin - last.end <= MAX_GAP &&
        t.end - last.begin <= maxBlock
      ) {
        this.blocks[this.blocks.length - 1] = { ...last, end: t.end };
      } else {
        this.blocks.push({ file: t.file, begin: t.begin, end: t.end });
      }
      blockByName.set(name, this.blocks.length - 1);
    }
    const uses = new Map<number, number>();
    const firstUse: number[] = [];
    const names = new Map<string, number>();
    for (const [i, name] of order.entries()) {
      const b = blockByName.get(name)!;
      this.blockOf.push(b);
      firstUse[b] ??= i;
      this.lastUse[b] = i;
      uses.set(b, (uses.get(b) ?? 0) + 1);
      names.set(name, (names.get(name) ?? 0) + 1);
    }
    if (!pool) return;
    // Pooled: blocks whose uses come one after another and whose tensors are each asked for
    // once, so that release(name) counts every use exactly once.
    const unpooled = new Set<number>();
    for (const [name, b] of blockByName) if (names.get(name) !== 1) unpooled.add(b);
    for (const [b, n] of uses) {
      if (unpooled.has(b) || this.lastUse[b]! - firstUse[b]! + 1 !== n) continue;
      this.unreleased.set(b, n);
    }
    for (const [name, b] of blockByName) if (this.unreleased.has(b)) this.pooledBlock.set(name, b);
  }

  /** The engine is done with this tensor's bytes: a pooled block goes back once all its are. */
  release(name: string): void {
    const b = this.pooledBlock.get(name);
    if (b === undefined) return;
    const left = this.unreleased.get(b)! - 1;
    this.unreleased.set(b, left);
    const data = this.pooledData.get(b);
    if (left <= 0 && data) {
      this.pooledData.delete(b);
      this.pool!.release(data);
    }
  }

  /**
   * The pooled bytes that asking for `name` would newly read (0 when its block is in memory,
   * already being read, or read outside the pool), for read-ahead's room check. Tensors
   * must be asked about in the order they will be asked for, each after the ones before it.
   */
  newPooledBytes(name: string, position: number): number {
    const b = this.blockOf[this.cursor + position];
    if (b === undefined || this.order[this.cursor + position] !== name) return 0;
    if (this.held.has(b) || !this.unreleased.has(b) || this.pooledData.has(b)) return 0;
    const block = this.blocks[b]!;
    return block.end - block.begin;
  }

  /** The fewest range requests the job makes for this model (more if blocks are evicted). */
  get plannedRequests(): number {
    return this.blocks.length;
  }

  /** The bytes of the next tensor in plan order (must be asked for in that order). */
  async next(name: string, signal?: AbortSignal): Promise<Uint8Array> {
    const i = this.advance(name);
    const b = this.blockOf[i]!;
    let data = this.held.get(b);
    if (data)
      this.held.delete(b); // re-inserted below as most recently used
    else data = this.fetch(b, signal);
    this.held.set(b, data);
    while (this.held.size > this.maxBlocksHeld) this.held.delete(this.held.keys().next().value!);
    if (this.lastUse[b] === i) this.held.delete(b);
    const block = this.blocks[b]!;
    const t = this.model.tensors.get(name)!;
    return (await data).subarray(t.begin - block.begin, t.end - block.begin);
  }

  /** Moves past the next tensor without reading it (a shard already written by an earlier run). */
  skip(name: string): void {
    const i = this.advance(name);
    this.release(name);
    const b = this.blockOf[i]!;
    if (this.lastUse[b] === i) this.held.delete(b);
  }

  private advance(name: string): number {
    const i = this.cursor++;
    if (this.order[i] !== name)
      throw new Error(`reader out of order: expected ${this.order[i]}, got ${name}`);
    return i;
  }

  private async fetch(b: number, signal?: AbortSignal): Promise<Uint8Array> {
    const block = this.blocks[b]!;
    const length = block.end - block.begin;
    // The pooled buffer is taken now, before any await, so that read-ahead's room check
    // (newPooledBytes, BufferPool.fits) sees it taken.
    let pooled = this.pool && this.unreleased.has(b) ? this.pool.acquire(length) : undefined;
    let data: Uint8Array;
    try {
      let src = this.sources.get(block.file);
      if (!src) this.sources.set(block.file, (src = this.model.source.open(block.file, signal)));
      const source = await src;
      if (pooled && source.readInto) {
        await source.readInto(block.begin, pooled, signal);
        this.pooledData.set(b, pooled);
        data = pooled;
      } else {
        if (pooled) this.pool!.release(pooled);
        pooled = undefined;
        data = await source.read(block.begin, length, signal);
      }
    } catch (e) {
      if (pooled) this.pool!.release(pooled);
      throw e;
    }
    this.stats.requests++;
    this.stats.bytes += data.byteLength;
    this.stats.onRead?.();
    return data;
  }
}
