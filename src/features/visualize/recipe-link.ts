/**
 * How the teaching views read and write the recipe: the t of SLERP (or NuSLERP's two weights,
 * whose ratio is its t) and the density of TIES, DARE and DELLA. Reading resolves the value
 * the merge would use (per model, then top level, then the method's default; gradients and
 * filters resolved for a tensor by the planner's own lookup). Writing goes through the
 * store's pure recipe edits, so the recipe stays consistent with its method.
 */
import { getMethod } from '../../../workers/methods/registry.ts';
import { lookupParameter } from '../../../workers/plan/parameters.ts';
import type { Recipe } from '../../../workers/plan/recipe.ts';
import { setGlobalParam, setMethod, setModelParam } from '../../stores/recipe-edits.ts';

/** Methods whose density the TIES view and the DARE view stand for. */
export const TIES_METHODS: readonly string[] = ['ties'];
export const DROP_METHODS: readonly string[] = ['dare_ties', 'dare_linear', 'della', 'della_linear'];

/** Where a tensor sits, for gradients: its name and position in the layer stack (0..1). */
export interface TensorPlace {
  readonly name: string;
  readonly layerT: number;
}

/** A parameter's value for the views: a number, or 'varies' when it is a gradient or filter list. */
export type RecipeValue = number | 'varies' | undefined;

/** Rounds what a slider produces (0.30000000000000004) to what a person would type. */
export function tidy(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function otherModels(r: Recipe): string[] {
  const m = getMethod(r.merge_method);
  return (r.models ?? []).map((x) => x.model).filter((id) => m?.base === 'input' || id !== r.base_model);
}

/** A parameter as the merge resolves it for one model (or globally) and, if given, one tensor. */
export function paramValue(r: Recipe, name: string, model?: string, at?: TensorPlace): RecipeValue {
  const method = getMethod(r.merge_method);
  const spec = method?.params.find((p) => p.name === name);
  if (!spec) return undefined;
  const source = model === undefined ? undefined : r.models?.find((x) => x.model === model)?.parameters;
  const levels = { source, top: r.parameters };
  if (!at) {
    const setting =
      (source && Object.hasOwn(source, name) ? source[name] : undefined) ?? r.parameters?.[name];
    if (setting === undefined) return typeof spec.default === 'number' ? spec.default : undefined;
    return typeof setting === 'number' ? setting : 'varies';
  }
  const found = lookupParameter(name, levels, at.name, at.layerT);
  const v = found ? found.value : spec.default;
  return typeof v === 'number' ? v : undefined;
}

// ----- t -----------------------------------------------------------------------------------

export type TLink =
  | { readonly kind: 'slerp' }
  | { readonly kind: 'nuslerp'; readonly a: string; readonly b: string }
  | { readonly kind: 'none' };

export function tLink(r: Recipe): TLink {
  if (r.slices) return { kind: 'none' };
  if (r.merge_method === 'slerp') return { kind: 'slerp' };
  const [a, b] = otherModels(r);
  if (r.merge_method === 'nuslerp' && a && b) return { kind: 'nuslerp', a, b };
  return { kind: 'none' };
}

/** The recipe's t: SLERP's t, or NuSLERP's w_b / (w_a + w_b); undefined for other methods. */
export function recipeT(r: Recipe, at?: TensorPlace): RecipeValue {
  const link = tLink(r);
  if (link.kind === 'slerp') return paramValue(r, 't', undefined, at);
  if (link.kind === 'nuslerp') {
    const wa = paramValue(r, 'weight', link.a, at);
    const wb = paramValue(r, 'weight', link.b, at);
    if (wa === 'varies' || wb === 'varies') return 'varies';
    if (wa === undefined || wb === undefined) return undefined;
    return Math.abs(wa + wb) < 1e-6 ? 0.5 : wb / (wa + wb);
  }
  return undefined;
}

/** The recipe with t set: SLERP's t, NuSLERP's weights (1 - t, t), or switched to SLERP first. */
export function withT(r: Recipe, t: number): Recipe {
  if (r.slices) return r;
  const v = tidy(t);
  let link = tLink(r);
  let next = r;
  if (link.kind === 'none') {
    next = setMethod(r, 'slerp');
    link = tLink(next);
  }
  if (link.kind === 'nuslerp') {
    return setModelParam(setModelParam(next, link.a, 'weight', tidy(1 - v)), link.b, 'weight', v);
  }
  return setGlobalParam(next, 't', v);
}

// ----- density -----------------------------------------------------------------------------

/** Whether the recipe's method is one `methods` stands for (so density links directly). */
export function densityLinks(r: Recipe, methods: readonly string[]): boolean {
  return !r.slices && methods.includes(r.merge_method);
}

/** The recipe's density for a model (the first merged model when none is named). */
export function recipeDensity(r: Recipe, model?: string, at?: TensorPlace): RecipeValue {
  const id = model ?? otherModels(r)[0];
  return paramValue(r, 'density', id, at);
}

/**
 * The recipe with one density for every model: set at the top level, with the per-model values
 * that would override it removed. Switches to `fallback` first when the method has no density.
 */
export function withDensity(
  r: Recipe,
  density: number,
  methods: readonly string[],
  fallback: string,
): Recipe {
  if (r.slices) return r;
  let next = densityLinks(r, methods) ? r : setMethod(r, fallback);
  for (const m of next.models ?? []) {
    if (m.parameters && Object.hasOwn(m.parameters, 'density'))
      next = setModelParam(next, m.model, 'density', undefined);
  }
  return setGlobalParam(next, 'density', tidy(density));
}
