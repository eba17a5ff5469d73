/**
 * A planned layer tensor (`model.layers.0.mlp.up_proj.weight`) for tests and benchmarks that
 * call computeTensor directly: one method, one input per dtype given (models m0, m1, ... and a
 * base unless the method takes none), each parameter from `value` or else its default.
 */
import type { DType } from '../io/dtypes.ts';
import { getMethod } from '../methods/registry.ts';
import type { ParamValue } from '../methods/types.ts';
import type { PlannedInput, PlannedTensor } from '../plan/plan-types.ts';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { folderResolver } from '../io/node/fs-source.ts';
import { folderSink } from '../io/node/fs-sink.ts';
import { loadRecipe } from '../plan/recipe-yaml.ts';
import { loadModel, type LoadedModel } from '../io/load-model.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import type { ModelResolver } from '../io/source.ts';
import type { MergeResult } from '../protocol.ts';
import { runMerge, type MergeJob } from './run-merge.ts';

/** A parameter's value for input k (0 for global ones); undefined takes the default. */
export type ParamChoice = (name: string, scope: 'global' | 'model', k: number) => ParamValue | undefined;

export function plannedLayerTensor(
  method: string,
  shape: readonly number[],
  dtypes: readonly DType[],
  value: ParamChoice,
): PlannedTensor {
  const m = getMethod(method)!;
  const input = (model: string, dtype: DType): PlannedInput => ({
    model,
    tensor: 'w',
    dtype,
    shape: [...shape],
  });
  const params = (scope: 'global' | 'model', k: number): Record<string, ParamValue> => {
    const out: Record<string, ParamValue> = {};
    for (const p of m.params.filter((x) => x.scope === scope)) {
      const v = value(p.name, scope, k) ?? p.default;
      if (v !== undefined) out[p.name] = v;
    }
    return out;
  };
  const global = params('global', 0);
  const perModel = dtypes.map((_, k) => params('model', k));
  return {
    name: 'model.layers.0.mlp.up_proj.weight',
    shape: [...shape],
    dtype: 'BF16',
    section: 'layer',
    layer: 0,
    t: 0,
    ...(m.base !== 'input' && { base: input('base', 'BF16') }),
    inputs: dtypes.map((dt, k) => input(`m${k}`, dt)),
    global,
    perModel,
    origins: { global: {}, perModel: [] },
    elementwise: m.elementwise(global, perModel),
    isEmbed: false,
  };
}

/** A two-model TIES recipe on the tinymix fixtures (test-data/tinymix), the engine tests' usual job. */
export const TINYMIX_TIES = `merge_method: ties
base_model: tinymix-base
models:
  - model: tinymix-code
    parameters: {weight: 0.5, density: 0.5}
  - model: tinymix-math
    parameters: {weight: 0.5, density: 0.5}
dtype: bfloat16
`;

/** A merge job of `text` on the tinymix fixtures, from their folders into the folder `dir`. */
export function tinymixJob(dir: string, text = TINYMIX_TIES, extra: Partial<MergeJob> = {}): MergeJob {
  return {
    recipe: loadRecipe(text).recipe,
    recipeText: text,
    resolve: folderResolver(MODELS_DIR),
    sink: folderSink(dir),
    outputName: 'out',
    ...extra,
  };
}

export interface MergedInMemory {
  readonly result: MergeResult;
  readonly out: LoadedModel;
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** A tensor's stored bytes in the output. */
  bytes(name: string): Uint8Array;
  /** An output JSON file, parsed. */
  json(file: string): Record<string, unknown>;
}

/** Merges a recipe's text into memory and opens the result. */
export async function mergeInMemory(text: string, resolve: ModelResolver): Promise<MergedInMemory> {
  const sink = memorySink();
  const result = await runMerge({ recipe: loadRecipe(text).recipe, recipeText: text, resolve, sink });
  const out = await loadModel(blobModelSource('out', sink.files));
  return {
    result,
    out,
    files: sink.files,
    bytes: (name) => {
      const t = out.tensors.get(name)!;
      return sink.files.get(t.file)!.subarray(t.begin, t.end);
    },
    json: (f) => JSON.parse(new TextDecoder().decode(sink.files.get(f))) as Record<string, unknown>,
  };
}
