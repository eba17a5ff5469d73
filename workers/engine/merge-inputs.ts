/**
 * The inputs of a merge plan's tensors: one reader per model that knows in advance every tensor
 * it will be asked for, and a read-ahead over the tensors bounded by what the largest one needs.
 */
import { DTYPE_SIZE } from '../io/dtypes.ts';
import type { LoadedModel } from '../io/load-model.ts';
import { numelOf } from '../io/safetensors/header.ts';
import type { MergePlan, PlannedInput, PlannedTensor } from '../plan/plan-types.ts';
import type { BufferPool } from './buffer-pool.ts';
import { ReadAhead } from './read-ahead.ts';
import { ModelTensorReader, type ReaderStats } from './tensor-reader.ts';

export type Readers = Map<string, ModelTensorReader>;

/** Inputs this small are always read ahead, whatever the largest tensor. */
const PREFETCH_BYTES = 64 * 1024 * 1024;

export function inputBytesOf(t: PlannedTensor): number {
  return inputsOf(t).reduce((s, x) => s + numelOf(x.shape) * DTYPE_SIZE[x.dtype], 0);
}

/** One reader per model, knowing in advance every tensor it will be asked for, in order. */
export function makeReaders(
  plan: MergePlan,
  models: Map<string, LoadedModel>,
  stats: ReaderStats,
  maxBlock: number,
  pool?: BufferPool,
): Readers {
  const orders = new Map<string, string[]>();
  for (const t of plan.tensors) {
    for (const x of inputsOf(t)) {
      let o = orders.get(x.model);
      if (!o) orders.set(x.model, (o = []));
      o.push(x.tensor);
    }
  }
  return new Map(
    [...orders].map(([id, order]) => [
      id,
      new ModelTensorReader(models.get(id)!, order, stats, maxBlock, 2, pool),
    ]),
  );
}

/**
 * Read-ahead over `tensors` (in plan order): within max(PREFETCH_BYTES, the largest tensor's
 * inputs), and only into room the buffer pool already has (or up to PREFETCH_BYTES in all),
 * so that reading ahead never makes memory grow past what the largest tensor needs.
 */
export function readAhead(
  plan: MergePlan,
  tensors: readonly PlannedTensor[],
  readers: Readers,
  pool: BufferPool,
  signal: AbortSignal | undefined,
): ReadAhead<TensorInputs> {
  const largest = Math.max(...plan.tensors.map(inputBytesOf));
  const read = (i: number): Promise<TensorInputs> => {
    const t = tensors[i]!;
    const base = t.base ? readers.get(t.base.model)!.next(t.base.tensor, signal) : undefined;
    const inputs = t.inputs.map((x) => readers.get(x.model)!.next(x.tensor, signal));
    return Promise.all([base, Promise.all(inputs)]);
  };
  const room = (i: number): boolean => {
    const seen = new Map<string, number>();
    const sizes = inputsOf(tensors[i]!).map((x) => {
      const position = seen.get(x.model) ?? 0;
      seen.set(x.model, position + 1);
      return readers.get(x.model)!.newPooledBytes(x.tensor, position);
    });
    const fresh = sizes.filter((n) => n > 0);
    return pool.fits(fresh) || pool.heldBytes + fresh.reduce((a, b) => a + b, 0) <= PREFETCH_BYTES;
  };
  const budget = Math.max(PREFETCH_BYTES, largest);
  return new ReadAhead(tensors.length, read, (i) => inputBytesOf(tensors[i]!), budget, room);
}

export type TensorInputs = [base: Uint8Array | undefined, inputs: Uint8Array[]];

/** The inputs a tensor reads: the base first, when there is one. */
export function inputsOf(t: PlannedTensor): readonly PlannedInput[] {
  return t.base ? [t.base, ...t.inputs] : t.inputs;
}

export function skipInputs(readers: Readers, t: MergePlan['tensors'][number]): void {
  for (const x of inputsOf(t)) readers.get(x.model)!.skip(x.tensor);
}
