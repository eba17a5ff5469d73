/**
 * The input models of a sweep or soup, read once into memory so that each point's merge reads
 * bytes from RAM instead of the disk or the network. Only for small models: before anything is
 * read, the memory a sweep would hold is estimated from the safetensors headers and refused
 * over a limit, with the numbers, so the user knows why.
 */
import { DONOR_FILES } from '../../engine/metadata-files.ts';
import { INDEX_FILE, loadModel, type LoadedModel } from '../../io/load-model.ts';
import type { ByteSource, ModelResolver, ModelSource } from '../../io/source.ts';
import { SourceError } from '../../io/source.ts';
import { numelOf } from '../../io/safetensors/header.ts';
import { InMemoryLimitError, throwIfAborted } from '../errors.ts';

/** Default limit: well under what a browser tab may allocate (about 4 GB on 64-bit Chrome). */
export const DEFAULT_MAX_IN_MEMORY_BYTES = 2e9;

/**
 * Bytes per parameter of the model being evaluated, beyond the inputs: the merged model's
 * safetensors (up to 4, float32), its decoded float32 weights (4) and their packed copy in the
 * evaluator (4).
 */
const BYTES_PER_EVAL_PARAM = 12;

export interface InMemoryModels {
  readonly resolve: ModelResolver;
  readonly ids: readonly string[];
  /** Bytes held: the input files plus the estimate for one merged model. */
  readonly estimatedBytes: number;
}

function paramsOf(m: LoadedModel): number {
  let n = 0;
  for (const t of m.tensors.values()) n += numelOf(t.shape);
  return n;
}

/**
 * A model held as bytes. Unlike io/memory.ts's Blob-backed source, reads are views of the held
 * bytes, not copies: every point of a sweep reads every tensor again.
 */
function bytesModelSource(id: string, files: ReadonlyMap<string, Uint8Array>): ModelSource {
  const byteSource = (path: string, bytes: Uint8Array): ByteSource => ({
    name: `${id}/${path}`,
    size: bytes.byteLength,
    read(offset, length) {
      if (offset < 0 || offset + length > bytes.byteLength) {
        return Promise.reject(
          new SourceError(`${id}/${path}: bytes ${offset}-${offset + length} are past the end`),
        );
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  });
  return {
    id,
    listFiles: () => Promise.resolve([...files.keys()].sort()),
    readFile: (path) => Promise.resolve(files.get(path)),
    open(path) {
      const bytes = files.get(path);
      return bytes
        ? Promise.resolve(byteSource(path, bytes))
        : Promise.reject(new SourceError(`${id} has no file ${path}`));
    },
  };
}

const gb = (b: number): string => `${(b / 1e9).toFixed(2)} GB`;

/** Reads the files of `ids` into memory, refusing when the estimate exceeds `maxBytes`. */
export async function loadInMemory(
  ids: readonly string[],
  resolve: ModelResolver,
  options: { readonly maxBytes?: number; readonly signal?: AbortSignal } = {},
): Promise<InMemoryModels> {
  const { signal } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IN_MEMORY_BYTES;
  const sources: ModelSource[] = [];
  const models: LoadedModel[] = [];
  for (const id of ids) {
    const source = await resolve(id, signal);
    sources.push(source);
    models.push(await loadModel(source, signal));
  }
  const inputBytes = models.reduce((s, m) => s + m.weightFiles.reduce((t, f) => t + f.size, 0), 0);
  const params = Math.max(...models.map(paramsOf));
  const estimatedBytes = inputBytes + params * BYTES_PER_EVAL_PARAM;
  if (estimatedBytes > maxBytes) {
    throw new InMemoryLimitError(
      `merging and evaluating in memory would hold about ${gb(estimatedBytes)} (${ids.length} models of ` +
        `${gb(inputBytes)} in all, plus ${gb(params * BYTES_PER_EVAL_PARAM)} for the merged model), over the ` +
        `limit of ${gb(maxBytes)}: sweeps, soups and previews are for small models; merge to disk instead`,
    );
  }
  const cached = new Map<string, ModelSource>();
  for (const [i, m] of models.entries()) {
    throwIfAborted(signal);
    const files = new Map<string, Uint8Array>();
    const source = sources[i]!;
    for (const f of m.weightFiles) {
      const src = await source.open(f.path, signal);
      files.set(f.path, await src.read(0, src.size, signal));
    }
    for (const name of ['config.json', INDEX_FILE, ...DONOR_FILES]) {
      if (!m.files.includes(name)) continue;
      const bytes = await source.readFile(name, signal);
      if (bytes) files.set(name, bytes);
    }
    cached.set(ids[i]!, bytesModelSource(ids[i]!, files));
  }
  return {
    ids,
    estimatedBytes,
    resolve: (id) => {
      const s = cached.get(id);
      return s
        ? Promise.resolve(s)
        : Promise.reject(new SourceError(`model ${id} was not loaded for this sweep`));
    },
  };
}
