/**
 * Pure edits of a recipe's `slices:` and what they produce. An output slice takes the same
 * number of layers from each of its sources (`layer_range: [start, end)`, end exclusive, as
 * mergekit) and merges them layer by layer; the output stacks the slices in order, so the
 * output's num_hidden_layers is the sum of the slices' lengths.
 *
 * Switching a models: recipe to slices gives what each kind of user expects:
 * - passthrough (stacking, the frankenmerge case): one slice per model over all its layers,
 *   in order, ready to be trimmed into a stack;
 * - every other method: one slice with every model over all its layers, which is exactly the
 *   models: recipe (the same merge, byte for byte) until a range is changed.
 * The base model is a source like the others (mergekit adds it when models: does not list it).
 */
import type { MergeMethod } from '../../../workers/methods/types.ts';
import type {
  InputModel,
  InputSlice,
  OutputSlice,
  ParameterSetting,
  Recipe,
} from '../../../workers/plan/recipe.ts';

/** Layer count per model id; undefined while unknown. */
export type LayerCounts = ReadonlyMap<string, number | undefined>;

function source(model: string, n: number, parameters?: InputModel['parameters']): InputSlice {
  return { model, layer_range: [0, n], ...(parameters && { parameters }) };
}

/** The models: recipe as slices, or the models whose layer count is not known yet. */
export function slicesFromModels(
  r: Recipe,
  counts: LayerCounts,
  method: MergeMethod,
): { readonly slices: OutputSlice[] } | { readonly unknown: string[] } {
  const models: InputModel[] = [...(r.models ?? [])];
  if (r.base_model && !models.some((m) => m.model === r.base_model)) models.push({ model: r.base_model });
  const unknown = models.filter((m) => counts.get(m.model) === undefined).map((m) => m.model);
  if (unknown.length > 0) return { unknown };
  const sources = models.map((m) => source(m.model, counts.get(m.model)!, m.parameters));
  if (method.name === 'passthrough') return { slices: sources.map((s) => ({ sources: [s] })) };
  return { slices: sources.length > 0 ? [{ sources }] : [] };
}

/**
 * The slices back as models: every model once, with the parameters of its first source.
 * `exact` says whether that is the same merge (one slice over whole models, nothing set on it).
 */
export function modelsFromSlices(
  slices: readonly OutputSlice[],
  counts: LayerCounts,
): { readonly models: InputModel[]; readonly exact: boolean } {
  const models: InputModel[] = [];
  for (const s of slices) {
    for (const src of s.sources) {
      if (models.some((m) => m.model === src.model)) continue;
      models.push({ model: src.model, ...(src.parameters && { parameters: src.parameters }) });
    }
  }
  const only = slices.length === 1 ? slices[0]! : undefined;
  const exact =
    only !== undefined &&
    !only.parameters &&
    !only.base_model &&
    only.sources.length === models.length &&
    only.sources.every((s) => s.layer_range[0] === 0 && s.layer_range[1] === counts.get(s.model));
  return { models, exact };
}

const len = (s: InputSlice): number => s.layer_range[1] - s.layer_range[0];

/**
 * A new last slice: the previous slice's sources, each continuing where it stopped (the next
 * layers, as many as before, cut at the model's end), or the same range when nothing is left.
 */
export function addSlice(
  slices: readonly OutputSlice[],
  counts: LayerCounts,
  firstModel?: string,
): OutputSlice[] {
  const last = slices[slices.length - 1];
  if (!last) {
    const n = firstModel === undefined ? undefined : counts.get(firstModel);
    return firstModel === undefined || n === undefined ? [] : [{ sources: [source(firstModel, n)] }];
  }
  const sources = last.sources.map((s): InputSlice => {
    const n = counts.get(s.model) ?? s.layer_range[1];
    const [, end] = s.layer_range;
    if (end >= n) return { model: s.model, layer_range: [...s.layer_range] };
    return { model: s.model, layer_range: [end, Math.min(n, end + len(s))] };
  });
  return [...slices, { sources }];
}

export function removeSlice(slices: readonly OutputSlice[], i: number): OutputSlice[] {
  return slices.filter((_, j) => j !== i);
}

export function moveSlice(slices: readonly OutputSlice[], i: number, delta: -1 | 1): readonly OutputSlice[] {
  const j = i + delta;
  if (i < 0 || j < 0 || i >= slices.length || j >= slices.length) return slices;
  const next = [...slices];
  next[i] = slices[j]!;
  next[j] = slices[i]!;
  return next;
}

function editSources(
  slices: readonly OutputSlice[],
  i: number,
  f: (sources: readonly InputSlice[]) => InputSlice[],
): OutputSlice[] {
  return slices.map((s, j) => (j === i ? { ...s, sources: f(s.sources) } : s));
}

/** A source for `model` spanning as many layers as the slice's first source (cut at its end). */
export function addSource(
  slices: readonly OutputSlice[],
  i: number,
  model: string,
  counts: LayerCounts,
): OutputSlice[] {
  return editSources(slices, i, (sources) => {
    const first = sources[0];
    const n = counts.get(model) ?? (first ? first.layer_range[1] : 1);
    const start = first ? Math.min(first.layer_range[0], Math.max(0, n - len(first))) : 0;
    return [...sources, { model, layer_range: [start, Math.min(n, start + (first ? len(first) : n))] }];
  });
}

export function removeSource(slices: readonly OutputSlice[], i: number, j: number): OutputSlice[] {
  return editSources(slices, i, (sources) => sources.filter((_, k) => k !== j));
}

/** Another model for a source; its range is kept, cut to the new model's layers. */
export function setSourceModel(
  slices: readonly OutputSlice[],
  i: number,
  j: number,
  model: string,
  counts: LayerCounts,
): OutputSlice[] {
  return editSources(slices, i, (sources) =>
    sources.map((s, k) => {
      if (k !== j) return s;
      const n = counts.get(model);
      const end = n === undefined ? s.layer_range[1] : Math.min(n, s.layer_range[1]);
      const { parameters: _p, ...rest } = s;
      return { ...rest, model, layer_range: [Math.min(s.layer_range[0], Math.max(0, end - 1)), end] };
    }),
  );
}

export function setRange(
  slices: readonly OutputSlice[],
  i: number,
  j: number,
  range: readonly [number, number],
): OutputSlice[] {
  return editSources(slices, i, (sources) =>
    sources.map((s, k) => (k === j ? { ...s, layer_range: [range[0], range[1]] } : s)),
  );
}

export function setSourceParam(
  slices: readonly OutputSlice[],
  i: number,
  j: number,
  name: string,
  value: ParameterSetting | undefined,
): OutputSlice[] {
  return editSources(slices, i, (sources) =>
    sources.map((s, k) => {
      if (k !== j) return s;
      const { [name]: _old, ...others } = s.parameters ?? {};
      const params = value === undefined ? others : { ...others, [name]: value };
      const { parameters: _p, ...rest } = s;
      return Object.keys(params).length > 0 ? { ...rest, parameters: params } : rest;
    }),
  );
}
