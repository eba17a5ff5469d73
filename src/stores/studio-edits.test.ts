/** The merge_studio edits, as plain functions; each result validates as YAML and reads back the same. */
import { describe, expect, it } from 'vitest';
import type { Recipe } from '../../workers/plan/recipe.ts';
import { parseRecipeYaml, recipeToYaml } from '../../workers/plan/recipe-yaml.ts';
import { useStudio } from './store.ts';
import { setStudioOption, withStudioWeight } from './studio-edits.ts';

const TIES: Recipe = {
  merge_method: 'ties',
  base_model: 'org/base',
  models: [{ model: 'org/base' }, { model: 'org/a', parameters: { weight: 1, density: 0.5 } }],
  parameters: { rescale: true },
};

function roundTrip(r: Recipe): Recipe | undefined {
  const { recipe, problems } = parseRecipeYaml(recipeToYaml(r));
  expect(problems).toEqual([]);
  return recipe;
}

describe('setStudioOption', () => {
  it('adds the block, sets and replaces values, and reads back the same', () => {
    const r = setStudioOption(TIES, 'consensus', 'count');
    expect(r.merge_studio).toEqual({ consensus: 'count' });
    const both = setStudioOption(setStudioOption(r, 'rescale_norm', 'linf'), 'consensus', 'count');
    expect(both.merge_studio).toEqual({ consensus: 'count', rescale_norm: 'linf' });
    expect(roundTrip(both)).toEqual(both);
  });

  it('undefined removes the key, and the block once empty; other keys stay', () => {
    const r = setStudioOption(
      { ...TIES, merge_studio: { seed: 3, consensus: 'count' } },
      'consensus',
      undefined,
    );
    expect(r.merge_studio).toEqual({ seed: 3 });
    expect(setStudioOption(setStudioOption(TIES, 'rescale_norm', 'l2'), 'rescale_norm', undefined)).toEqual(
      TIES,
    );
  });

  it('through the store, as the controls call it', () => {
    const s = useStudio.getState;
    s().setRecipe(TIES);
    s().setStudioOption('rescale_norm', 'inverse_density');
    expect(s().recipe.merge_studio).toEqual({ rescale_norm: 'inverse_density' });
    s().setStudioOption('rescale_norm', undefined);
    expect(s().recipe).toEqual(TIES);
  });
});

describe('topk_scope and weights', () => {
  const KARCHER: Recipe = {
    merge_method: 'karcher',
    models: [{ model: 'org/a' }, { model: 'org/b' }],
  };

  it('withStudioWeight sets and replaces a weight; 1 or undefined removes it; an empty map is none', () => {
    const one = withStudioWeight(undefined, 'org/a', 2);
    expect(one).toEqual({ 'org/a': 2 });
    const two = withStudioWeight(one, 'org/b', 0.5);
    expect(two).toEqual({ 'org/a': 2, 'org/b': 0.5 });
    expect(withStudioWeight(two, 'org/a', 3)).toEqual({ 'org/a': 3, 'org/b': 0.5 });
    expect(withStudioWeight(two, 'org/a', 1)).toEqual({ 'org/b': 0.5 });
    expect(withStudioWeight(one, 'org/a', undefined)).toBeUndefined();
    expect(one).toEqual({ 'org/a': 2 }); // not changed in place
  });

  it('set through setStudioOption, they validate and read back the same', () => {
    const r = setStudioOption(KARCHER, 'weights', withStudioWeight(undefined, 'org/b', 3));
    expect(r.merge_studio).toEqual({ weights: { 'org/b': 3 } });
    expect(roundTrip(r)).toEqual(r);
    const t = setStudioOption(TIES, 'topk_scope', 'row');
    expect(roundTrip(t)).toEqual(t);
    expect(setStudioOption(t, 'topk_scope', undefined)).toEqual(TIES);
  });
});
