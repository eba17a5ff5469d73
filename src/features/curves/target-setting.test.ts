import { schemeTableau10 } from 'd3';
import { describe, expect, it } from 'vitest';
import { getMethod } from '../../../workers/methods/registry.ts';
import type { Recipe } from '../../../workers/plan/recipe.ts';
import { curveColor } from './curve-colors.ts';
import { layerModel, targetSetting } from './target-setting.ts';

const ties: Recipe = {
  merge_method: 'ties',
  base_model: 'base',
  models: [{ model: 'code', parameters: { weight: 1, density: [0.2, 0.8] } }, { model: 'math' }],
  parameters: { density: 0.5 },
};

describe('what the curve editor edits', () => {
  it('edits a model’s own setting and knows the top level applies where it sets nothing', () => {
    const ts = targetSetting(ties, getMethod('ties')!, { name: 'density', model: 'code' });
    expect(ts).toMatchObject({
      own: [0.2, 0.8],
      inherited: 0.5,
      start: [0.2, 0.8],
      where: 'density of code',
    });
    expect(ts).toMatchObject({ inheritedText: 'the top-level density' });
  });

  it('starts a model with nothing set from the top level, then from the default', () => {
    expect(targetSetting(ties, getMethod('ties')!, { name: 'density', model: 'math' })).toMatchObject({
      own: undefined,
      start: 0.5,
    });
    const noTop: Recipe = { ...ties, parameters: {} };
    expect(targetSetting(noTop, getMethod('ties')!, { name: 'density', model: 'math' })).toMatchObject({
      start: 1,
      inheritedText: 'the default, 1',
    });
  });

  it('edits the top level for a global parameter; a required one with no default starts mid-range', () => {
    const slerp: Recipe = {
      merge_method: 'slerp',
      base_model: 'a',
      models: [{ model: 'a' }, { model: 'b' }],
    };
    expect(targetSetting(slerp, getMethod('slerp')!, { name: 't' })).toMatchObject({
      own: undefined,
      start: 0.5,
      inheritedText: 'no value (an error: add a curve for other tensors)',
    });
  });

  it('explains the targets it cannot draw', () => {
    const m = getMethod('ties')!;
    expect(targetSetting(ties, m, { name: 't' })).toEqual({ problem: 'TIES has no parameter t.' });
    expect(targetSetting(ties, m, { name: 'int8_mask' })).toHaveProperty('problem');
    expect(targetSetting(ties, m, { name: 'density', model: 'gone' })).toEqual({
      problem: 'gone is no longer in the merge.',
    });
    const sliced: Recipe = {
      merge_method: 'ties',
      base_model: 'base',
      slices: [{ sources: [{ model: 'base', layer_range: [0, 2] }] }],
    };
    expect(targetSetting(sliced, m, { name: 'density', model: 'base' })).toHaveProperty('problem');
    expect(targetSetting(sliced, m, { name: 'lambda' })).toHaveProperty('start', 1);
  });

  it('draws over the base’s layers, else the first model’s', () => {
    expect(layerModel(ties)).toBe('base');
    expect(layerModel({ merge_method: 'linear', models: [{ model: 'x' }] })).toBe('x');
    expect(
      layerModel({
        merge_method: 'passthrough',
        slices: [{ sources: [{ model: 'y', layer_range: [0, 1] }] }],
      }),
    ).toBe('y');
  });

  it('keeps the catch-all’s colour when filter curves are added', () => {
    const one = [{ filter: undefined, anchors: [1] }];
    const two = [{ filter: 'mlp', anchors: [1] }, ...one];
    expect(curveColor(one, 0)).toBe(schemeTableau10[0]);
    expect(curveColor(two, 1)).toBe(schemeTableau10[0]);
    expect(curveColor(two, 0)).not.toBe(schemeTableau10[0]);
  });
});
