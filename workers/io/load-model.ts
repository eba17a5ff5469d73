/**
 * Opens a model: config.json, then the weights' headers: safetensors (one file, or the shards
 * named by model.safetensors.index.json) or, as mergekit falls back to them, PyTorch
 * checkpoints (pytorch_model.bin or the shards of pytorch_model.bin.index.json; their pickles
 * are read without running them, ./torch/torch-file.ts). Only headers are read: a few small
 * range reads per shard.
 */
import type { ModelInfo, TensorMeta } from '../plan/architecture.ts';
import { SafetensorsFormatError } from './safetensors/errors.ts';
import {
  parseHeader,
  readHeaderLength,
  type SafetensorsHeader,
  type TensorEntry,
} from './safetensors/header.ts';
import { MAX_JSON_FILE_BYTES, SourceError, type ByteSource, type ModelSource } from './source.ts';
import { readTorchCheckpoint } from './torch/torch-file.ts';

export interface LoadedTensor extends TensorMeta {
  /** The file in the repo holding it. */
  readonly file: string;
  /** Absolute byte range in that file. */
  readonly begin: number;
  readonly end: number;
}

export interface LoadedModel extends ModelInfo {
  readonly source: ModelSource;
  readonly tensors: ReadonlyMap<string, LoadedTensor>;
  /** Weight files with their sizes, and when they changed where the source says (local files). */
  readonly weightFiles: readonly WeightFile[];
  readonly files: readonly string[];
}

export interface WeightFile {
  readonly path: string;
  readonly size: number;
  readonly modified?: number;
}

export const INDEX_FILE = 'model.safetensors.index.json';
export const SINGLE_FILE = 'model.safetensors';
export const TORCH_INDEX_FILE = 'pytorch_model.bin.index.json';
export const TORCH_SINGLE_FILE = 'pytorch_model.bin';

/** Whether a folder's files hold weights in one of the layouts loadWeights reads. */
export function hasWeightLayout(files: readonly string[]): boolean {
  return LAYOUTS.some((l) => files.includes(l.index) || files.includes(l.single));
}

/** The weight layouts in the order mergekit (and transformers) prefer them. */
const LAYOUTS = [
  { index: INDEX_FILE, single: SINGLE_FILE },
  { index: TORCH_INDEX_FILE, single: TORCH_SINGLE_FILE },
] as const;

/** The first read takes this much, so most headers need one request (the Hub counts them). */
const FIRST_READ = 256 * 1024;

export async function readSafetensorsHeader(
  src: ByteSource,
  signal?: AbortSignal,
): Promise<SafetensorsHeader> {
  const first = await src.read(0, Math.min(src.size, FIRST_READ), signal);
  const n = readHeaderLength(first, src.name, src.size);
  const header = 8 + n <= first.byteLength ? first.subarray(8, 8 + n) : await src.read(8, n, signal);
  return parseHeader(header, src.name, src.size);
}

function decodeJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new SourceError(`${what} is not valid JSON (${String(e)})`);
  }
}

export async function loadModel(source: ModelSource, signal?: AbortSignal): Promise<LoadedModel> {
  const files = await source.listFiles(signal);
  const configBytes = await source.readFile('config.json', signal, MAX_JSON_FILE_BYTES);
  if (!configBytes) {
    throw new SourceError(
      files.includes('adapter_config.json')
        ? `${source.id} is a LoRA adapter (it has adapter_config.json and no config.json), not a model: write it after the model it was trained for, as base+${source.id}`
        : `${source.id} has no config.json: is it a transformers model?`,
    );
  }
  const config = decodeJson(configBytes, `${source.id}/config.json`) as Record<string, unknown>;
  return { id: source.id, source, config, ...(await loadWeights(source, files, signal)), files };
}

/** A weights file's tensors: safetensors by its header, anything else as a PyTorch checkpoint. */
export async function readWeightEntries(
  src: ByteSource,
  file: string,
  signal?: AbortSignal,
): Promise<readonly TensorEntry[]> {
  return file.endsWith('.safetensors')
    ? (await readSafetensorsHeader(src, signal)).tensors
    : await readTorchCheckpoint(src, signal);
}

/**
 * A model folder's weights, config.json aside: the tensors of its safetensors or, failing
 * those, its PyTorch checkpoints (one file, or the shards of the index), checked against the
 * index.
 */
export async function loadWeights(
  source: ModelSource,
  files: readonly string[],
  signal?: AbortSignal,
): Promise<Pick<LoadedModel, 'tensors' | 'weightFiles'>> {
  const layout = LAYOUTS.find((l) => files.includes(l.index) || files.includes(l.single));
  if (!layout) {
    const other = files.find((f) => /\.(bin|pt|pth|ckpt|gguf)$/.test(f));
    throw new SourceError(
      `${source.id} has neither model.safetensors nor pytorch_model.bin (nor their .index.json)${other ? `: ${other} is not a file Merge Studio reads` : ''}`,
    );
  }
  let shardMap: Map<string, string> | undefined;
  let shards: string[];
  if (files.includes(layout.index)) {
    const indexFile = layout.index;
    const indexBytes = await source.readFile(indexFile, signal, MAX_JSON_FILE_BYTES);
    const index = decodeJson(indexBytes!, `${source.id}/${indexFile}`) as {
      weight_map?: Record<string, string>;
    };
    if (!index.weight_map || typeof index.weight_map !== 'object') {
      throw new SafetensorsFormatError(`${source.id}/${indexFile}`, 'bad-index', 'has no weight_map');
    }
    shardMap = new Map(Object.entries(index.weight_map));
    shards = [...new Set(shardMap.values())].sort();
    for (const s of shards) {
      if (!files.includes(s)) {
        throw new SafetensorsFormatError(
          `${source.id}/${indexFile}`,
          'bad-index',
          `names shard ${s}, which is missing`,
        );
      }
    }
  } else {
    shards = [layout.single];
  }

  const tensors = new Map<string, LoadedTensor>();
  const weightFiles: WeightFile[] = [];
  for (const shard of shards) {
    const src = await source.open(shard, signal);
    weightFiles.push({
      path: shard,
      size: src.size,
      ...(src.modified !== undefined && { modified: src.modified }),
    });
    for (const t of await readWeightEntries(src, shard, signal)) {
      if (shardMap && shardMap.get(t.name) !== shard) {
        throw new SafetensorsFormatError(
          src.name,
          'bad-index',
          `the index puts this tensor in ${shardMap.get(t.name) ?? 'no shard'}`,
          t.name,
        );
      }
      if (tensors.has(t.name))
        throw new SafetensorsFormatError(src.name, 'bad-index', 'appears in two shards', t.name);
      tensors.set(t.name, { dtype: t.dtype, shape: t.shape, file: shard, begin: t.begin, end: t.end });
    }
  }
  if (shardMap) {
    for (const [name, shard] of shardMap) {
      if (!tensors.has(name)) {
        throw new SafetensorsFormatError(
          `${source.id}/${shard}`,
          'bad-index',
          'is listed in the index but not in its shard',
          name,
        );
      }
    }
  }
  return { tensors, weightFiles };
}
