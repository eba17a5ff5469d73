/**
 * A model's weights as float32 arrays by tensor name, from either place a model can be:
 * a LoadedModel (a local folder, Hub repo or dropped files: read with the merge engine's
 * coalescing tensor reader, so neighbouring tensors come in one request), or the files of an
 * in-memory merge (a memorySink's map), whose safetensors are parsed in place.
 */
import { ModelTensorReader } from '../../engine/tensor-reader.ts';
import { decodeToF32 } from '../../io/dtypes.ts';
import { INDEX_FILE, SINGLE_FILE, type LoadedModel } from '../../io/load-model.ts';
import { parseHeader, readHeaderLength } from '../../io/safetensors/header.ts';
import { SourceError } from '../../io/source.ts';
import { throwIfAborted } from '../errors.ts';

export interface WeightTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type DecoderWeights = ReadonlyMap<string, WeightTensor>;

export interface ModelWeights {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly weights: DecoderWeights;
}

/** Buffers that some checkpoints carry and the forward pass recomputes. */
const SKIPPED = /(^|\.)rotary_emb\.inv_freq$/;
/** Largest contiguous read, as the merge engine's default. */
const MAX_READ_BLOCK = 32 * 1024 * 1024;

/** Reads and decodes every tensor of a model (headers already loaded). */
export async function readModelWeights(model: LoadedModel, signal?: AbortSignal): Promise<ModelWeights> {
  const names = [...model.tensors.keys()].filter((n) => !SKIPPED.test(n));
  // File order, then offset order: each file is read front to back in few requests.
  names.sort((a, b) => {
    const ta = model.tensors.get(a)!;
    const tb = model.tensors.get(b)!;
    return ta.file < tb.file ? -1 : ta.file > tb.file ? 1 : ta.begin - tb.begin;
  });
  const reader = new ModelTensorReader(model, names, { requests: 0, bytes: 0 }, MAX_READ_BLOCK);
  const weights = new Map<string, WeightTensor>();
  for (const name of names) {
    throwIfAborted(signal);
    const t = model.tensors.get(name)!;
    weights.set(name, { shape: t.shape, data: decodeToF32(await reader.next(name, signal), t.dtype) });
  }
  return { id: model.id, config: model.config, weights };
}

/** Parses a model held as files in memory (the output of a merge into a memorySink). */
export function weightsFromFiles(id: string, files: ReadonlyMap<string, Uint8Array>): ModelWeights {
  const configBytes = files.get('config.json');
  if (!configBytes) throw new SourceError(`${id} has no config.json`);
  const config = JSON.parse(new TextDecoder().decode(configBytes)) as Record<string, unknown>;
  let shards: string[];
  const index = files.get(INDEX_FILE);
  if (index) {
    const map = (JSON.parse(new TextDecoder().decode(index)) as { weight_map?: Record<string, string> })
      .weight_map;
    shards = [...new Set(Object.values(map ?? {}))].sort();
  } else {
    shards = [SINGLE_FILE];
  }
  const weights = new Map<string, WeightTensor>();
  for (const shard of shards) {
    const bytes = files.get(shard);
    if (!bytes) throw new SourceError(`${id} has no ${shard}`);
    const n = readHeaderLength(bytes, `${id}/${shard}`, bytes.byteLength);
    const header = parseHeader(bytes.subarray(8, 8 + n), `${id}/${shard}`, bytes.byteLength);
    for (const t of header.tensors) {
      if (SKIPPED.test(t.name)) continue;
      weights.set(t.name, { shape: t.shape, data: decodeToF32(bytes.subarray(t.begin, t.end), t.dtype) });
    }
  }
  return { id, config, weights };
}
