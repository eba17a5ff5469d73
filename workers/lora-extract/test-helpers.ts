/**
 * Test helpers for the extractor: models held in memory (the tinymix fixtures, re-encoded as
 * float32 where a test needs the factors unrounded; synthetic pairs with chosen task vectors),
 * and reading a model's or an adapter's tensors back as float32.
 */
import path from 'node:path';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { decodeToF32, encodeFromF32, type WritableDType } from '../io/dtypes.ts';
import { loadModel, readSafetensorsHeader } from '../io/load-model.ts';
import { folderFiles } from '../io/lora/test-helpers.ts';
import { blobModelSource } from '../io/memory.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import type { ModelSource } from '../io/source.ts';
import type { ExtractOptions } from './extract-lora.ts';

export interface Values {
  readonly dtype: WritableDType;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

export const DEFAULTS: ExtractOptions = {
  maxRank: 128,
  svEpsilon: 0,
  distributeScale: true,
  embedLora: false,
  saveModules: [],
  includeRegexes: [],
  excludeRegexes: [],
  skipUndecomposable: false,
};

export const tinymixFiles = (name: string): Promise<Map<string, Uint8Array>> =>
  folderFiles(path.join(MODELS_DIR, name));

/** Every tensor of a model (or adapter) file set, decoded. */
export async function readAll(source: ModelSource, file?: string): Promise<Map<string, Values>> {
  const out = new Map<string, Values>();
  if (file) {
    const src = await source.open(file);
    for (const t of (await readSafetensorsHeader(src)).tensors) {
      const bytes = await src.read(t.begin, t.end - t.begin);
      out.set(t.name, {
        dtype: t.dtype as WritableDType,
        shape: t.shape,
        values: decodeToF32(bytes, t.dtype),
      });
    }
    return out;
  }
  const m = await loadModel(source);
  for (const [name, t] of m.tensors) {
    const f = await m.source.open(t.file);
    const bytes = await f.read(t.begin, t.end - t.begin);
    out.set(name, { dtype: t.dtype as WritableDType, shape: t.shape, values: decodeToF32(bytes, t.dtype) });
  }
  return out;
}

/** A model's files with the given tensors in one model.safetensors. */
export function filesOf(
  tensors: ReadonlyMap<string, Values>,
  config: Record<string, unknown> = { model_type: 'llama', architectures: ['LlamaForCausalLM'] },
): Map<string, Uint8Array> {
  const weights = serializeSafetensors(
    [...tensors].map(([name, t]) => ({
      name,
      dtype: t.dtype,
      shape: [...t.shape],
      data: encodeFromF32(t.values, t.dtype),
    })),
  );
  return new Map([
    ['config.json', new TextEncoder().encode(JSON.stringify(config))],
    ['model.safetensors', weights],
  ]);
}

/** A tinymix model as a source, with its tensors re-encoded as float32 when asked. */
export async function tinymix(name: string, dtype?: 'F32'): Promise<ModelSource> {
  const files = await tinymixFiles(name);
  if (!dtype) return blobModelSource(name, files);
  const tensors = await readAll(blobModelSource(name, files));
  const f32 = new Map([...tensors].map(([n, t]) => [n, { ...t, dtype }]));
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
  return blobModelSource(name, filesOf(f32, config));
}

/** Row-major product a (m x k) b (k x n) in float64. */
export function product(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const f = a[i * k + p]!;
      for (let j = 0; j < n; j++) out[i * n + j]! += f * b[p * n + j]!;
    }
  return out;
}
