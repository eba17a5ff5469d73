import { describe, expect, it } from 'vitest';
import { RecipeError } from '../../plan/problems.ts';
import { loadRecipe } from '../../plan/recipe-yaml.ts';
import { EvalInputError } from '../errors.ts';
import { applySweepPoint, linspace, sweepPoints, withParameter, type SweepAxis } from './sweep-points.ts';

const { recipe } = loadRecipe(`merge_method: ties
base_model: a
models:
  - model: b
    parameters: {weight: 0.5, density: 0.5}
  - model: c
    parameters: {weight: [0, 1], density: 0.5}
parameters: {normalize: true}
`);

const T: SweepAxis = {
  label: 't',
  values: linspace(0, 1, 3),
  targets: [
    { model: 'b', param: 'weight' },
    { model: 'c', param: 'weight', scale: -1, offset: 1 },
  ],
};

describe('sweep points', () => {
  it('linspace gives tidy evenly spaced values, ends included', () => {
    expect(linspace(0, 1, 11)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(linspace(0.2, 0.2, 1)).toEqual([0.2]);
    expect(() => linspace(0, 1, 0)).toThrow(EvalInputError);
  });

  it('sets a per-model parameter (replacing a gradient), a top-level one, and in slices', () => {
    const r = withParameter(recipe, { model: 'c', param: 'weight' }, 0.25);
    expect(r.models![1]!.parameters).toEqual({ weight: 0.25, density: 0.5 });
    expect(recipe.models![1]!.parameters!['weight']).toEqual([0, 1]); // the input is not modified
    expect(withParameter(recipe, { param: 'lambda' }, 2).parameters).toEqual({ normalize: true, lambda: 2 });
    const sliced = loadRecipe(`merge_method: slerp
base_model: a
slices:
  - sources:
      - {model: a, layer_range: [0, 2]}
      - {model: b, layer_range: [0, 2]}
parameters: {t: 0.5}
`).recipe;
    expect(
      withParameter(sliced, { model: 'b', param: 'weight' }, 1).slices![0]!.sources[1]!.parameters,
    ).toEqual({ weight: 1 });
    expect(() => withParameter(recipe, { model: 'zz', param: 'weight' }, 1)).toThrow(/no model named zz/);
  });

  it('drives several parameters from one axis: code weight t, math weight 1 - t', () => {
    const r = applySweepPoint(recipe, [T], [0.3]);
    expect(r.models!.map((m) => m.parameters!['weight'])).toEqual([0.3, 0.7]);
  });

  it('enumerates a grid first axis outermost, and validates every point before any merge', () => {
    const density: SweepAxis = {
      label: 'density',
      values: [0.2, 0.8],
      targets: [{ model: 'b', param: 'density' }],
    };
    const pts = sweepPoints(recipe, [T, density]);
    expect(pts.map((p) => p.values)).toEqual([[0, 0.2], [0, 0.8], [0.5, 0.2], [0.5, 0.8], [1, 0.2], [1, 0.8]]); // prettier-ignore
    expect(pts[3]!.recipe.models![0]!.parameters).toEqual({ weight: 0.5, density: 0.8 });
    const tooDense: SweepAxis = {
      label: 'density',
      values: [0.5, 1.5],
      targets: [{ model: 'b', param: 'density' }],
    };
    expect(() => sweepPoints(recipe, [tooDense])).toThrow(RecipeError);
    expect(() => sweepPoints(recipe, [tooDense])).toThrow(/sweep point density=1.5/);
    expect(() => sweepPoints(recipe, [{ ...T, values: [] }])).toThrow(/axis t has no values/);
  });
});
