/**
 * Pure edits of a recipe, as the UI's controls make them. Each returns a new recipe that stays
 * consistent with its method: required parameters get a starting value, parameters the method
 * does not know are dropped (they would be errors), and the base model follows the method's
 * rules. Kept free of React and zustand so they are tested as plain functions. The tokenizer
 * and chat template edits are in tokenizer-edits.ts.
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
import { forgetTokenizerModel } from './tokenizer-edits.ts';

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

/**
 * Parameters a method switch set aside because the new method does not take them, by where they
 * were: 'global', 'model:<id>', 'slice:<i>' or 'slice:<i>:<id>'. Switching to a method that takes
 * them puts them back (setMethod), so stepping through the methods loses nothing.
 */
export type ParamStash = Readonly<Record<string, ParameterMap>>;

interface Place {
  readonly key: string;
  /** How a person names the place: '' (global), ' of b', ' of slice 2', ' of b in slice 2'. */
  readonly label: string;
  readonly params: ParameterMap;
}

/** Every parameter map of a recipe, with its place's key. */
function places(r: Recipe): Place[] {
  const out: Place[] = [{ key: 'global', label: '', params: r.parameters ?? {} }];
  for (const x of r.models ?? [])
    out.push({ key: `model:${x.model}`, label: ` of ${x.model}`, params: x.parameters ?? {} });
  r.slices?.forEach((sl, i) => {
    out.push({ key: `slice:${i}`, label: ` of slice ${i + 1}`, params: sl.parameters ?? {} });
    for (const src of sl.sources)
      out.push({
        key: `slice:${i}:${src.model}`,
        label: ` of ${src.model} in slice ${i + 1}`,
        params: src.parameters ?? {},
      });
  });
  return out;
}

function restore(
  params: ParameterMap | undefined,
  stashed: ParameterMap | undefined,
  m: MergeMethod,
  scope: 'model' | 'any',
): ParameterMap | undefined {
  const back = keepKnown(stashed, m, scope);
  if (!back) return params;
  return {
    ...Object.fromEntries(Object.entries(back).filter(([k]) => params?.[k] === undefined)),
    ...params,
  };
}

export function setMethod(r: Recipe, name: string, stash: ParamStash = {}): Recipe {
  const m = getMethod(name);
  if (!m) return r;
  const models = r.models?.map((x) =>
    withParams(x, restore(keepKnown(x.parameters, m, 'model'), stash[`model:${x.model}`], m, 'model')),
  );
  const slices = r.slices?.map((s, i): OutputSlice =>
    withParams(
      {
        ...s,
        sources: s.sources.map((src) =>
          withParams(
            src,
            restore(keepKnown(src.parameters, m, 'model'), stash[`slice:${i}:${src.model}`], m, 'model'),
          ),
        ),
      },
      restore(keepKnown(s.parameters, m, 'any'), stash[`slice:${i}`], m, 'any'),
    ),
  );
  let next: Recipe = withParams(
    { ...r, merge_method: name, ...(models && { models }), ...(slices && { slices }) },
    restore(keepKnown(r.parameters, m, 'any'), stash['global'], m, 'any'),
  );
  if (m.base === 'input') {
    const { base_model: _b, ...rest } = next;
    next = rest;
  } else if (m.base === 'required' && !next.base_model && next.models?.[0]) {
    next = { ...next, base_model: next.models[0].model };
  }
  return fillRequired(next);
}

/**
 * After `prev` became `next` with another method: the stash with the parameters that went
 * missing added (newest wins), and those in use again taken out; `dropped` names what was set
 * aside, as "density of b" or "t".
 */
export function stashDropped(
  prev: Recipe,
  next: Recipe,
  stash: ParamStash,
): { stash: ParamStash; dropped: string[] } {
  const out: Record<string, ParameterMap> = { ...stash };
  const dropped: string[] = [];
  const now = new Map(places(next).map((p) => [p.key, p.params]));
  for (const { key, label, params } of places(prev)) {
    const kept = now.get(key);
    if (!kept) continue; // the model or slice itself is gone: nothing to restore it into
    for (const [name, v] of Object.entries(params)) {
      if (kept[name] !== undefined) continue;
      out[key] = { ...out[key], [name]: v };
      dropped.push(`${name}${label}`);
    }
  }
  for (const [key, params] of now) {
    const st = out[key];
    if (!st) continue;
    const left = Object.fromEntries(Object.entries(st).filter(([k]) => params[k] === undefined));
    if (Object.keys(left).length > 0) out[key] = left;
    else delete out[key];
  }
  return { stash: pruneStash(next, out), dropped };
}

/** The stash without the places `r` no longer has (a model removed, another recipe loaded). */
export function pruneStash(r: Recipe, stash: ParamStash): ParamStash {
  const keys = Object.keys(stash);
  if (keys.length === 0) return stash;
  const live = new Set(places(r).map((p) => p.key));
  return keys.every((k) => live.has(k))
    ? stash
    : Object.fromEntries(Object.entries(stash).filter(([k]) => live.has(k)));
}

export function addModel(r: Recipe, id: string): Recipe {
  // A modules: recipe names its models per module, in the YAML (ChosenModels says so).
  if (r.models?.some((m) => m.model === id) || r.modules) return r;
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
  // A tokenizer source naming the model falls back to `base` (see forgetTokenizerModel).
  return fillRequired(forgetTokenizerModel(next, id));
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
