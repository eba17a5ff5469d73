/**
 * Pure edits of a recipe, as the UI's controls make them. Each returns a new recipe that stays
 * consistent with its method: required parameters get a starting value, parameters the method
 * does not know are dropped (they would be errors), and the base model follows the method's
 * rules. Kept free of React and zustand so they are tested as plain functions.
 */
import { getMethod } from '../../workers/methods/registry.ts';
import type { MergeMethod } from '../../workers/methods/types.ts';
import type {
  InputModel,
  OutputSlice,
  ParameterMap,
  ParameterSetting,
  Recipe,
  TorchDType,
} from '../../workers/plan/recipe.ts';

export const EMPTY_RECIPE: Recipe = { merge_method: 'linear', models: [] };

function method(r: Recipe): MergeMethod {
  return getMethod(r.merge_method)!;
}

function keepKnown(
  params: ParameterMap | undefined,
  m: MergeMethod,
  scope: 'global' | 'model' | 'any',
): ParameterMap | undefined {
  if (!params) return undefined;
  const known = new Set(m.params.filter((p) => scope === 'any' || p.scope === scope).map((p) => p.name));
  const kept = Object.fromEntries(Object.entries(params).filter(([k]) => known.has(k)));
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function withParams<T extends { parameters?: ParameterMap }>(x: T, params: ParameterMap | undefined): T {
  const { parameters: _drop, ...rest } = x;
  return (params ? { ...rest, parameters: params } : rest) as T;
}

/** Gives every model that needs one a required per-model parameter (weight 1), and globals a start. */
function fillRequired(r: Recipe): Recipe {
  const m = method(r);
  let params: ParameterMap = { ...r.parameters };
  for (const spec of m.params.filter((p) => p.required && p.scope === 'global')) {
    if (params[spec.name] === undefined)
      params = { ...params, [spec.name]: spec.name === 't' && m.name === 'nearswap' ? 0.001 : 0.5 };
  }
  const needs = m.params.filter((p) => p.required && p.scope === 'model');
  const models = r.models?.map((x) => {
    if (x.model === r.base_model && m.base !== 'input') return x;
    let p: ParameterMap = { ...x.parameters };
    for (const spec of needs)
      if (p[spec.name] === undefined && r.parameters?.[spec.name] === undefined) p = { ...p, [spec.name]: 1 };
    return withParams(x, Object.keys(p).length ? p : undefined);
  });
  const out: Recipe = { ...r, ...(models && { models }) };
  return Object.keys(params).length ? { ...out, parameters: params } : withParams(out, undefined);
}

export function setMethod(r: Recipe, name: string): Recipe {
  const m = getMethod(name);
  if (!m) return r;
  const models = r.models?.map((x) => withParams(x, keepKnown(x.parameters, m, 'model')));
  const slices = r.slices?.map((s): OutputSlice =>
    withParams(
      { ...s, sources: s.sources.map((src) => withParams(src, keepKnown(src.parameters, m, 'model'))) },
      keepKnown(s.parameters, m, 'any'),
    ),
  );
  let next: Recipe = withParams(
    { ...r, merge_method: name, ...(models && { models }), ...(slices && { slices }) },
    keepKnown(r.parameters, m, 'any'),
  );
  if (m.base === 'input') {
    const { base_model: _b, ...rest } = next;
    next = rest;
  } else if (m.base === 'required' && !next.base_model && next.models?.[0]) {
    next = { ...next, base_model: next.models[0].model };
  }
  return fillRequired(next);
}

export function addModel(r: Recipe, id: string): Recipe {
  if (r.models?.some((m) => m.model === id)) return r;
  const models: InputModel[] = [...(r.models ?? []), { model: id }];
  const m = method(r);
  const base = m.base === 'required' && !r.base_model ? { base_model: id } : {};
  return fillRequired({ ...r, ...base, models });
}

export function removeModel(r: Recipe, id: string): Recipe {
  const models = (r.models ?? []).filter((m) => m.model !== id);
  let next: Recipe = { ...r, models };
  if (r.base_model === id) {
    const { base_model: _b, ...rest } = next;
    next = method(r).base === 'required' && models[0] ? { ...rest, base_model: models[0].model } : rest;
  }
  return fillRequired(next);
}

export function moveModel(r: Recipe, id: string, delta: -1 | 1): Recipe {
  const models = [...(r.models ?? [])];
  const i = models.findIndex((m) => m.model === id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= models.length) return r;
  [models[i], models[j]] = [models[j]!, models[i]!];
  return { ...r, models };
}

export function setBase(r: Recipe, id: string | undefined): Recipe {
  if (id === undefined) {
    const { base_model: _b, ...rest } = r;
    return fillRequired(rest);
  }
  // The base needs no per-model parameters: drop them (mergekit ignores them anyway).
  const models = r.models?.map((x) => (x.model === id ? withParams(x, undefined) : x));
  return fillRequired({ ...r, base_model: id, ...(models && { models }) });
}

export function setGlobalParam(r: Recipe, name: string, value: ParameterSetting | undefined): Recipe {
  const { [name]: _old, ...rest } = r.parameters ?? {};
  const params = value === undefined ? rest : { ...rest, [name]: value };
  return withParams(r, Object.keys(params).length ? params : undefined);
}

export function setModelParam(
  r: Recipe,
  id: string,
  name: string,
  value: ParameterSetting | undefined,
): Recipe {
  const models = (r.models ?? []).map((x) => {
    if (x.model !== id) return x;
    const { [name]: _old, ...rest } = x.parameters ?? {};
    const params = value === undefined ? rest : { ...rest, [name]: value };
    return withParams(x, Object.keys(params).length ? params : undefined);
  });
  return { ...r, models };
}

export function setDtype(r: Recipe, key: 'dtype' | 'out_dtype', value: TorchDType | undefined): Recipe {
  const { [key]: _old, ...rest } = r;
  return value ? { ...rest, [key]: value } : rest;
}

/** Switches between models: (one slice over all layers) and explicit slices. */
export function setSlices(
  r: Recipe,
  slices: readonly OutputSlice[] | undefined,
  modelsIfNone?: readonly InputModel[],
): Recipe {
  const { slices: _s, models: _m, ...rest } = r;
  if (slices) return { ...rest, slices };
  return { ...rest, models: modelsIfNone ?? [] };
}

/** The per-model parameter map of a model in a models: recipe. */
export function modelParams(r: Recipe, id: string): ParameterMap {
  return r.models?.find((m) => m.model === id)?.parameters ?? {};
}
