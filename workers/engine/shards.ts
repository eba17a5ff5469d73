/**
 * Splitting the output into shard files, as mergekit's TensorWriter does: tensors in order,
 * a new shard when the next tensor would pass the limit (bytes of the output dtype; mergekit's
 * default 5 GB, decimal). One shard is `model.safetensors`; more are
 * `model-00001-of-0000N.safetensors` with an index.
 */
import { DTYPE_SIZE, type WritableDType } from '../io/dtypes.ts';
import type { OutputSink } from '../io/source.ts';
import { numelOf } from '../io/safetensors/header.ts';
import { planSafetensorsFile, type FileLayout } from '../io/safetensors/layout.ts';
import type { PlannedTensor } from '../plan/plan-types.ts';
import { checkAbort } from './cancel.ts';

export const DEFAULT_SHARD_BYTES = 5_000_000_000;

/** What sharding needs of an output tensor (a merge's PlannedTensor, a MoE build's tensors). */
export interface ShardTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: WritableDType;
}

export interface ShardPlan<T extends ShardTensor = PlannedTensor> {
  readonly file: string;
  readonly tensors: readonly T[];
  readonly layout: FileLayout;
}

export function tensorBytes(t: ShardTensor): number {
  return numelOf(t.shape) * DTYPE_SIZE[t.dtype];
}

const pad = (i: number): string => String(i).padStart(5, '0');

export function planShards<T extends ShardTensor>(
  tensors: readonly T[],
  maxBytes = DEFAULT_SHARD_BYTES,
): ShardPlan<T>[] {
  const groups: T[][] = [];
  let cur: T[] = [];
  let size = 0;
  for (const t of tensors) {
    const b = tensorBytes(t);
    if (cur.length > 0 && size + b > maxBytes) {
      groups.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(t);
    size += b;
  }
  if (cur.length > 0 || groups.length === 0) groups.push(cur);
  const n = groups.length;
  return groups.map((g, i) => ({
    file: n === 1 ? 'model.safetensors' : `model-${pad(i + 1)}-of-${pad(n)}.safetensors`,
    tensors: g,
    layout: planSafetensorsFile(g.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }))),
  }));
}

/**
 * model.safetensors.index.json: total tensor bytes and which shard holds each tensor. The map is
 * a Map until it becomes JSON: any tensor name (`__proto__` too) must be an ordinary key, and
 * Object.fromEntries defines keys rather than assigning them.
 */
export function shardIndex(shards: readonly ShardPlan<ShardTensor>[]): string {
  const weightMap = new Map<string, string>();
  let total = 0;
  for (const s of shards) {
    for (const t of s.tensors) {
      weightMap.set(t.name, s.file);
      total += tensorBytes(t);
    }
  }
  const sorted = Object.fromEntries([...weightMap].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify({ metadata: { total_size: total, mergekit_version: '0.1.4' }, weight_map: sorted }, null, 2)}\n`;
}

/** Writes `data` at `offset` bytes into the tensor being written. */
export type TensorWrite = (offset: number, data: Uint8Array) => Promise<void>;

/**
 * One planned shard through `sink`: its header, then each tensor's bytes from `fill`, then
 * close. On any error (a cancel included) the unfinished file is aborted, so nothing that looks
 * complete is left. The merge's own writer (run-merge.ts) adds a pipeline and compute lanes.
 */
export async function writeShardFile<T extends ShardTensor>(
  sink: OutputSink,
  shard: ShardPlan<T>,
  signal: AbortSignal | undefined,
  fill: (t: T, write: TensorWrite) => Promise<void>,
): Promise<void> {
  const writer = await sink.createFile(shard.file, shard.layout.totalSize);
  try {
    await writer.write(0, shard.layout.header);
    const offsets = new Map(shard.layout.entries.map((e) => [e.name, e.offset]));
    for (const t of shard.tensors) {
      checkAbort(signal);
      const at = offsets.get(t.name)!;
      await fill(t, (offset, data) => writer.write(at + offset, data));
    }
    checkAbort(signal);
    await writer.close();
  } catch (e) {
    await writer.abort().catch(() => undefined);
    throw e;
  }
}
