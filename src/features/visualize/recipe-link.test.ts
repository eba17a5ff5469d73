import { describe, expect, it } from 'vitest';
import { loadRecipe, recipeToYaml } from '../../../workers/plan/recipe-yaml.ts';
import {
  DROP_METHODS,
  TIES_METHODS,
  densityLinks,
  recipeDensity,
  recipeT,
  tLink,
  tidy,
  withDensity,
  withT,
} from './recipe-link.ts';

const recipe = (yaml: string) => loadRecipe(yaml).recipe;
const SLERP =
  'merge_method: slerp\nbase_model: a\nmodels:\n  - model: a\n  - model: b\nparameters: {t: 0.5}\n';

describe('t', () => {
  it('reads and writes SLERP’s t, tidied to what a person would type', () => {
    const r = recipe(SLERP);
    expect(tLink(r)).toEqual({ kind: 'slerp' });
    expect(recipeT(r)).toBe(0.5);
    const next = withT(r, 0.30000000000000004);
    expect(recipeT(next)).toBe(0.3);
    expect(recipeToYaml(next)).toMatch(/t: 0\.3\n/);
    expect(tidy(0.1234567)).toBe(0.123);
  });

  it('a gradient varies by layer, and resolves for one tensor as the planner does', () => {
    const r = recipe(SLERP.replace('{t: 0.5}', '{t: [0, 1]}'));
    expect(recipeT(r)).toBe('varies');
    expect(recipeT(r, { name: 'model.layers.1.mlp.up_proj.weight', layerT: 0.25 })).toBe(0.25);
  });

  it('NuSLERP’s t is w_b / (w_a + w_b); setting it sets the two weights', () => {
    const r = recipe(
      'merge_method: nuslerp\nmodels:\n  - model: a\n    parameters: {weight: 3}\n  - model: b\n    parameters: {weight: 1}\n',
    );
    expect(tLink(r)).toEqual({ kind: 'nuslerp', a: 'a', b: 'b' });
    expect(recipeT(r)).toBe(0.25);
    const next = withT(r, 0.7);
    expect(next.models?.map((m) => m.parameters?.['weight'])).toEqual([0.3, 0.7]);
    expect(recipeT(next)).toBeCloseTo(0.7, 9);
  });

  it('another method has no t: applying one switches the recipe to SLERP', () => {
    const r = recipe(
      'merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n  - model: b\n    parameters: {weight: 1}\n',
    );
    expect(recipeT(r)).toBeUndefined();
    const next = withT(r, 0.4);
    expect(next.merge_method).toBe('slerp');
    expect(next.parameters).toEqual({ t: 0.4 });
    expect(next.base_model).toBe('a');
  });

  it('a recipe with slices is left alone', () => {
    const r = recipe(
      'merge_method: slerp\nbase_model: a\nslices:\n  - sources:\n      - model: a\n        layer_range: [0, 4]\n      - model: b\n        layer_range: [0, 4]\nparameters: {t: 0.5}\n',
    );
    expect(tLink(r)).toEqual({ kind: 'none' });
    expect(withT(r, 0.9)).toBe(r);
  });
});

describe('density', () => {
  const TIES =
    'merge_method: ties\nbase_model: a\nmodels:\n  - model: a\n  - model: b\n    parameters: {weight: 1, density: 0.7}\n  - model: c\n    parameters: {weight: 1}\nparameters: {density: 0.4}\n';

  it('reads a model’s own density before the top level, and the default without either', () => {
    const r = recipe(TIES);
    expect(densityLinks(r, TIES_METHODS)).toBe(true);
    expect(densityLinks(r, DROP_METHODS)).toBe(false);
    expect(recipeDensity(r, 'b')).toBe(0.7);
    expect(recipeDensity(r, 'c')).toBe(0.4);
    expect(recipeDensity(r)).toBe(0.7);
    expect(recipeDensity(recipe(TIES.replace('parameters: {density: 0.4}\n', '')), 'c')).toBe(1);
  });

  it('applying one density sets it for every model, removing per-model overrides', () => {
    const next = withDensity(recipe(TIES), 0.25, TIES_METHODS, 'ties');
    expect(next.parameters).toEqual({ density: 0.25 });
    expect(next.models?.map((m) => m.parameters)).toEqual([undefined, { weight: 1 }, { weight: 1 }]);
    expect(recipeDensity(next, 'b')).toBe(0.25);
  });

  it('from a method without density, applying switches to the view’s method', () => {
    const r = recipe('merge_method: linear\nmodels:\n  - model: a\n  - model: b\nparameters: {weight: 1}\n');
    const next = withDensity(r, 0.3, DROP_METHODS, 'dare_ties');
    expect(next.merge_method).toBe('dare_ties');
    expect(next.base_model).toBe('a');
    expect(recipeDensity(next)).toBe(0.3);
  });
});
