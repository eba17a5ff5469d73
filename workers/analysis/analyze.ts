/**
 * Per-layer analysis of a recipe before merging: for a sample of layers (all of a small
 * model), every layer tensor of every model is read with range reads, and compared: task
 * vectors against the base, the share TIES would trim, the SLERP angle. The merge plan is
 * built first (headers only), so the analysis sees exactly the tensors, layer pairings and
 * per-tensor densities the merge would use, gradients and filters resolved.
 */
import { loadModels } from '../engine/run-merge.ts';
import type { LoadedModel } from '../io/load-model.ts';
import type { ModelResolver } from '../io/source.ts';
import { buildPlan } from '../plan/build-plan.ts';
import type { PlannedInput, PlannedTensor } from '../plan/plan-types.ts';
import type { Recipe } from '../plan/recipe.ts';
import { planSample, type SamplePlan } from './layer-sample.ts';
import { SampleReader } from './read-sample.ts';
import { tensorAnalysis } from './tensor-analysis.ts';
import type { AnalysisProgress, AnalysisResult, TensorAnalysis } from './types.ts';
import { analysisWarnings } from './warnings.ts';

export interface AnalysisOptions {
  /** Bytes of tensor data to read at most, all models together (default 256 MB). */
  readonly maxBytes?: number;
  /** Layers to sample when all of them are over budget (default 8). */
  readonly maxLayers?: number;
  /** Density of the TIES column where the recipe sets none (default 0.5). */
  readonly density?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: AnalysisProgress) => void;
}

export class AnalysisError extends Error {
  override readonly name: string = 'AnalysisError';
}

export class AnalysisCancelled extends Error {
  override readonly name: string = 'AnalysisCancelled';
  constructor() {
    super('the analysis was cancelled');
  }
}

/** Used where the recipe sets no density (the methods' default, 1, trims nothing): where TIES is usually run. */
export const DEFAULT_ASSUMED_DENSITY = 0.5;

const MODULE_ORDER = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
  'input_layernorm',
  'post_attention_layernorm',
];

function moduleRank(m: string): number {
  const i = MODULE_ORDER.findIndex((k) => m.split('.').includes(k));
  return i < 0 ? MODULE_ORDER.length : i;
}

/** Attention, then MLP, then norms (transformers' Llama names), then anything else by name. */
export function moduleOrder(a: string, b: string): number {
  const rank = moduleRank;
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** "model.layers.3.self_attn.q_proj.weight" -> "self_attn.q_proj" (biases keep their suffix). */
export function moduleName(tensor: string): string {
  const m = /\.\d+\.(.+)$/.exec(tensor);
  const rest = m ? m[1]! : tensor;
  return rest.endsWith('.weight') ? rest.slice(0, -'.weight'.length) : rest;
}

const bytesOf = (i: PlannedInput, models: ReadonlyMap<string, LoadedModel>): number => {
  const t = models.get(i.model)!.tensors.get(i.tensor)!;
  return t.end - t.begin;
};

/** The base of the task vectors and the other inputs of one planned tensor. */
function rolesOf(t: PlannedTensor, recipeBase: string | undefined) {
  const base = t.base ?? t.inputs.find((i) => i.model === recipeBase);
  const others = t.inputs.map((input, k) => ({ input, k })).filter((x) => x.input !== base);
  return { base, others };
}

export async function analyzeRecipe(
  recipe: Recipe,
  resolve: ModelResolver,
  options: AnalysisOptions = {},
): Promise<AnalysisResult> {
  const models = await loadModels(recipe, resolve, options.signal);
  return analyzeModels(recipe, models, options);
}

export async function analyzeModels(
  recipe: Recipe,
  models: ReadonlyMap<string, LoadedModel>,
  options: AnalysisOptions = {},
): Promise<AnalysisResult> {
  const started = Date.now();
  const { signal } = options;
  const plan = buildPlan(recipe, models);
  const layerTensors = plan.tensors.filter((t) => t.section === 'layer' && t.layer !== undefined);
  if (layerTensors.length === 0) throw new AnalysisError('the merge has no layer tensors to analyse');
  const byLayer = new Map<number, PlannedTensor[]>();
  for (const t of layerTensors) {
    const list = byLayer.get(t.layer!) ?? [];
    list.push(t);
    byLayer.set(t.layer!, list);
  }
  const numLayers = Math.max(...byLayer.keys()) + 1;
  const layerBytes = Array.from({ length: numLayers }, (_, l) =>
    (byLayer.get(l) ?? []).reduce(
      (s, t) => s + [...(t.base ? [t.base] : []), ...t.inputs].reduce((a, i) => a + bytesOf(i, models), 0),
      0,
    ),
  );
  const sample: SamplePlan = planSample(layerBytes, options);
  let fromRecipe = 0;
  let assumed = 0;
  const reader = new SampleReader();
  const todo = sample.layers.flatMap((l) => byLayer.get(l) ?? []);
  const tensors: TensorAnalysis[] = [];
  const progress = (): void =>
    options.onProgress?.({
      tensorsDone: tensors.length,
      tensorsTotal: todo.length,
      bytesRead: reader.stats.bytes,
    });
  progress();
  for (const layer of sample.layers) {
    const planned = byLayer.get(layer) ?? [];
    // One read per model per layer where the bytes lie together.
    const wanted = new Map<string, string[]>();
    for (const t of planned) {
      for (const i of [...(t.base ? [t.base] : []), ...t.inputs]) {
        const list = wanted.get(i.model) ?? [];
        if (!list.includes(i.tensor)) list.push(i.tensor);
        wanted.set(i.model, list);
      }
    }
    const values = new Map<string, Map<string, Float32Array>>();
    for (const [model, names] of wanted) {
      if (signal?.aborted) throw new AnalysisCancelled();
      values.set(model, await reader.read(models.get(model)!, names, sample.rowFraction, signal));
    }
    for (const t of planned) {
      if (signal?.aborted) throw new AnalysisCancelled();
      const { base, others } = rolesOf(t, recipe.base_model);
      const get = (i: PlannedInput): Float32Array => values.get(i.model)!.get(i.tensor)!;
      const densities = others.map(({ k }) => {
        const d = t.perModel[k]?.['density'];
        const set = t.origins.perModel[k]?.['density']?.level;
        if (typeof d === 'number' && set !== undefined && set !== 'default') {
          fromRecipe++;
          return d;
        }
        assumed++;
        return options.density ?? DEFAULT_ASSUMED_DENSITY;
      });
      tensors.push(
        tensorAnalysis({
          layer,
          module: moduleName(t.name),
          tensor: t.name,
          shape: t.shape,
          sampled: SampleReader.sampledElements(t.shape, sample.rowFraction),
          base: base && { model: base.model, values: get(base) },
          models: others.map(({ input }) => ({ model: input.model, values: get(input) })),
          densities,
          slerpFromBase: recipe.merge_method === 'slerp',
        }),
      );
      progress();
    }
  }
  const first = tensors[0]!;
  const baseId = rolesOf(layerTensors[0]!, recipe.base_model).base?.model;
  const modelIds = [
    ...new Set(layerTensors.flatMap((t) => rolesOf(t, recipe.base_model).others.map((o) => o.input.model))),
  ];
  const pair = pairOf(recipe.merge_method === 'slerp', baseId, modelIds);
  return {
    method: recipe.merge_method,
    base: baseId,
    models: modelIds,
    slerpPair: first.metrics.slerpDegrees === null ? undefined : pair,
    numLayers,
    layers: sample.layers,
    modules: [...new Set(tensors.map((t) => t.module))].sort(moduleOrder),
    rowFraction: sample.rowFraction,
    densitySource: assumed === 0 ? 'recipe' : fromRecipe === 0 ? 'assumed' : 'both',
    tensors,
    warnings: analysisWarnings(tensors, modelIds, baseId, pair),
    bytesRead: reader.stats.bytes,
    requests: reader.stats.requests,
    bytesAllLayers: layerBytes.reduce((s, b) => s + b, 0),
    elapsedMs: Date.now() - started,
  };
}

/** The two models whose tensors the SLERP angle compares: SLERP's own ends, else the first two models. */
export function pairOf(
  slerp: boolean,
  base: string | undefined,
  models: readonly string[],
): readonly [string, string] | undefined {
  if ((slerp || models.length < 2) && base !== undefined && models[0] !== undefined) return [base, models[0]];
  return models.length >= 2 ? [models[0]!, models[1]!] : undefined;
}
