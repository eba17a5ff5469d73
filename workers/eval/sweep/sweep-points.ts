/**
 * The points of a sweep as recipes: one or two axes, each a list of values written into one or
 * more parameters of the recipe, top-level or per model. An axis may drive several parameters
 * through `offset + scale * x`, which is how "code weight t, math weight 1 - t" is one axis.
 * Applying a point (the best one, in one click) is the same pure function, so what the sweep
 * evaluated is exactly what the recipe becomes. Every point's recipe is validated before any
 * merge starts.
 */
import { RecipeError } from '../../plan/problems.ts';
import type { ParameterMap, Recipe } from '../../plan/recipe.ts';
import { validateRecipe } from '../../plan/validate-recipe.ts';
import { EvalInputError } from '../errors.ts';

export interface SweepTarget {
  /** A model of the recipe (a per-model parameter), or absent for a top-level parameter. */
  readonly model?: string;
  readonly param: string;
  /** The parameter is set to offset + scale * x for the axis value x (default 0 + 1 x). */
  readonly scale?: number;
  readonly offset?: number;
}

export interface SweepAxis {
  /** For charts: "t", "weight", "density". */
  readonly label: string;
  readonly values: readonly number[];
  readonly targets: readonly SweepTarget[];
}

export type SweepAxes = readonly [SweepAxis] | readonly [SweepAxis, SweepAxis];

/** Values may come from float arithmetic (0.1 * 3); 12 significant digits keep the YAML tidy. */
const tidy = (x: number): number => Number(x.toPrecision(12));

/** `steps` evenly spaced values from `from` to `to` inclusive: linspace(0, 1, 11) = 0, 0.1, ... 1. */
export function linspace(from: number, to: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1)
    throw new EvalInputError(`steps must be a positive integer (got ${steps})`);
  if (steps === 1) return [tidy(from)];
  return Array.from({ length: steps }, (_, i) => tidy(from + ((to - from) * i) / (steps - 1)));
}

function setParam(map: ParameterMap | undefined, param: string, value: number): ParameterMap {
  return { ...map, [param]: value };
}

/** The recipe with `param` set to `value`, for `model` or at the top level. */
export function withParameter(recipe: Recipe, target: SweepTarget, value: number): Recipe {
  const { model, param } = target;
  if (model === undefined) return { ...recipe, parameters: setParam(recipe.parameters, param, value) };
  let found = false;
  const models = recipe.models?.map((m) => {
    if (m.model !== model) return m;
    found = true;
    return { ...m, parameters: setParam(m.parameters, param, value) };
  });
  const slices = recipe.slices?.map((s) => ({
    ...s,
    sources: s.sources.map((src) => {
      if (src.model !== model) return src;
      found = true;
      return { ...src, parameters: setParam(src.parameters, param, value) };
    }),
  }));
  if (!found) {
    throw new EvalInputError(`the recipe merges no model named ${model}, so its ${param} cannot be swept`);
  }
  return { ...recipe, ...(models && { models }), ...(slices && { slices }) };
}

/** The recipe of one point: axis i at value values[i]. */
export function applySweepPoint(recipe: Recipe, axes: SweepAxes, values: readonly number[]): Recipe {
  let r = recipe;
  axes.forEach((axis, i) => {
    const x = values[i];
    if (x === undefined)
      throw new EvalInputError(`a point of a ${axes.length}-axis sweep needs ${axes.length} values`);
    for (const t of axis.targets) r = withParameter(r, t, tidy((t.offset ?? 0) + (t.scale ?? 1) * x));
  });
  return r;
}

export interface SweepPointSpec {
  /** Index of the value on each axis. */
  readonly index: readonly number[];
  readonly values: readonly number[];
  readonly recipe: Recipe;
}

/** Every point, first axis outermost, each recipe validated (a RecipeError names the first bad one). */
export function sweepPoints(recipe: Recipe, axes: SweepAxes): SweepPointSpec[] {
  for (const a of axes) {
    if (a.values.length === 0) throw new EvalInputError(`axis ${a.label} has no values`);
    if (a.targets.length === 0) throw new EvalInputError(`axis ${a.label} sets no parameter`);
    if (!a.values.every(Number.isFinite))
      throw new EvalInputError(`axis ${a.label} has a value that is not a number`);
  }
  const [first, second] = axes;
  const grid: (readonly number[])[] = second
    ? first.values.flatMap((_x, i) => second.values.map((_y, j) => [i, j]))
    : first.values.map((_, i) => [i]);
  return grid.map((index) => {
    const values = index.map((j, a) => axes[a]!.values[j]!);
    const r = applySweepPoint(recipe, axes, values);
    const { recipe: valid, problems } = validateRecipe(r);
    if (!valid) throw new RecipeError(problems, `sweep point ${axes.map((a, k) => `${a.label}=${values[k]}`).join(', ')}`); // prettier-ignore
    return { index, values, recipe: valid };
  });
}
