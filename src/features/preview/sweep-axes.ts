/**
 * The sweep form's logic, free of React: which parameters of the current recipe can be swept
 * (the method's numeric parameters, top-level or per model), an axis as the form holds it
 * (parameter, range, steps, and optionally a model set to 1 - x, so "code weight t, math
 * weight 1 - t" is one axis), and the engine's SweepAxes built from it. Applying the best
 * point is the engine's own applySweepPoint, so the recipe becomes exactly what was evaluated.
 */
import { linspace, type SweepAxes, type SweepAxis } from '../../../workers/eval/sweep/sweep-points.ts';
import { getMethod } from '../../../workers/methods/registry.ts';
import type { ParamSpec } from '../../../workers/methods/types.ts';
import { referencedModels, type Recipe } from '../../../workers/plan/recipe.ts';

export interface ParamOption {
  /** Stable key for form controls: "t" or "weight@tinymix-code". */
  readonly key: string;
  readonly label: string;
  readonly param: string;
  readonly model?: string;
  readonly from: number;
  readonly to: number;
}

export interface AxisForm {
  readonly key: string;
  readonly from: number;
  readonly to: number;
  readonly steps: number;
  /** A model whose same parameter is set to 1 - x (per-model parameters only). */
  readonly complement?: string;
}

/** Most points a sweep may have: 11 x 11. Each point is a merge and an evaluation. */
export const MAX_POINTS = 121;

/** A range worth sweeping: [0, 1] where the parameter allows it; density from 0.1 (0 keeps nothing). */
function rangeOf(spec: ParamSpec): { from: number; to: number } {
  const lo = spec.min ?? spec.ui?.min ?? 0;
  const hi = spec.max ?? spec.ui?.max ?? 1;
  if (spec.name === 'density') return { from: 0.1, to: 1 };
  return lo <= 0 && hi >= 1 ? { from: 0, to: 1 } : { from: lo, to: hi };
}

/** The models a per-model parameter applies to: every model but the base, unless the base is an input. */
export function tunedModels(recipe: Recipe): string[] {
  const method = getMethod(recipe.merge_method);
  const all = referencedModels(recipe);
  return method?.base === 'input' ? all : all.filter((m) => m !== recipe.base_model);
}

export function sweepableParams(recipe: Recipe): ParamOption[] {
  const method = getMethod(recipe.merge_method);
  if (!method) return [];
  const out: ParamOption[] = [];
  for (const spec of method.params) {
    if (spec.type !== 'number' || spec.noNumericEffect || spec.integer) continue;
    if (spec.scope === 'global')
      out.push({ key: spec.name, label: spec.name, param: spec.name, ...rangeOf(spec) });
    else
      for (const model of tunedModels(recipe))
        out.push({
          key: `${spec.name}@${model}`,
          label: `${spec.name} of ${model}`,
          param: spec.name,
          model,
          ...rangeOf(spec),
        });
  }
  return out;
}

/** A first axis for the recipe: the first model's weight with the second's at 1 - x when there are two. */
export function defaultAxis(recipe: Recipe, steps = 11): AxisForm | undefined {
  const options = sweepableParams(recipe);
  const models = tunedModels(recipe);
  const weight = options.find((o) => o.param === 'weight' && o.model === models[0]);
  const t = options.find((o) => o.key === 't');
  const first = t ?? weight ?? options[0];
  if (!first) return undefined;
  const complement = first === weight && models.length === 2 ? models[1] : undefined;
  return { key: first.key, from: first.from, to: first.to, steps, ...(complement && { complement }) };
}

/** The label of an axis for charts: "t", or "weight of a (b: 1 - x)". */
export function axisLabel(form: AxisForm, option: ParamOption): string {
  return form.complement ? `${option.label} (${form.complement}: 1 − x)` : option.label;
}

export class SweepFormError extends Error {
  override readonly name: string = 'SweepFormError';
}

export function toSweepAxis(recipe: Recipe, form: AxisForm): SweepAxis {
  const option = sweepableParams(recipe).find((o) => o.key === form.key);
  if (!option) throw new SweepFormError(`the recipe has no parameter ${form.key} to sweep: choose another`);
  if (!(Number.isInteger(form.steps) && form.steps >= 2))
    throw new SweepFormError(`${option.label}: choose at least 2 steps`);
  if (!(Number.isFinite(form.from) && Number.isFinite(form.to)) || form.from === form.to)
    throw new SweepFormError(`${option.label}: the range needs two different numbers`);
  const targets: SweepAxis['targets'] = [
    { param: option.param, ...(option.model !== undefined && { model: option.model }) },
    ...(form.complement !== undefined && option.model !== undefined
      ? [{ model: form.complement, param: option.param, scale: -1, offset: 1 }]
      : []),
  ];
  return { label: axisLabel(form, option), values: linspace(form.from, form.to, form.steps), targets };
}

export function toSweepAxes(recipe: Recipe, forms: readonly AxisForm[]): SweepAxes {
  const [a, b] = forms;
  if (!a) throw new SweepFormError('choose a parameter to sweep');
  if (b && b.key === a.key) throw new SweepFormError('the two axes sweep the same parameter: choose another');
  const axes: SweepAxes = b ? [toSweepAxis(recipe, a), toSweepAxis(recipe, b)] : [toSweepAxis(recipe, a)];
  const points = axes.reduce((n, x) => n * x.values.length, 1);
  if (points > MAX_POINTS)
    throw new SweepFormError(`${points} points is too many (at most ${MAX_POINTS}): use fewer steps`);
  return axes;
}
