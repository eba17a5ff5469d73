/**
 * The checkpoints of a pytorch merge: each model is one weights file (safetensors or a
 * PyTorch checkpoint, as mergekit-pytorch takes them) or a folder of weights (one file or
 * the shards of its index), with or without config.json. Only headers are read.
 */
import {
  hasWeightLayout,
  loadWeights,
  readWeightEntries,
  type LoadedModel,
  type LoadedTensor,
} from '../io/load-model.ts';
import { SourceError, type ModelResolver, type ModelSource } from '../io/source.ts';

/** What a checkpoint file may be called. */
const WEIGHT_FILE = /\.(safetensors|bin|pt|pth|ckpt)$/;

export async function loadRawModel(source: ModelSource, signal?: AbortSignal): Promise<LoadedModel> {
  const files = await source.listFiles(signal);
  const base = { id: source.id, source, config: {}, files };
  if (hasWeightLayout(files)) return { ...base, ...(await loadWeights(source, files, signal)) };
  // A single checkpoint file, or a folder holding one under another name.
  const weights = files.filter((f) => WEIGHT_FILE.test(f));
  if (weights.length !== 1) {
    throw new SourceError(
      weights.length === 0
        ? `${source.id} holds no weights (.safetensors, .bin, .pt, .pth or .ckpt)`
        : `${source.id} holds ${weights.length} weight files (${weights.join(', ')}) and no index naming them: give one file`,
    );
  }
  const file = weights[0]!;
  const src = await source.open(file, signal);
  const tensors = new Map<string, LoadedTensor>();
  for (const t of await readWeightEntries(src, file, signal)) {
    if (tensors.has(t.name)) throw new SourceError(`${src.name}: tensor ${t.name} appears twice`);
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, file, begin: t.begin, end: t.end });
  }
  const modified = src.modified;
  return {
    ...base,
    tensors,
    weightFiles: [{ path: file, size: src.size, ...(modified !== undefined && { modified }) }],
  };
}

/** Every model of the recipe, in the order given. */
export async function loadRawModels(
  ids: readonly string[],
  resolve: ModelResolver,
  signal?: AbortSignal,
): Promise<Map<string, LoadedModel>> {
  const loaded = await Promise.all(ids.map(async (id) => loadRawModel(await resolve(id, signal), signal)));
  return new Map(ids.map((id, i) => [id, loaded[i]!]));
}
