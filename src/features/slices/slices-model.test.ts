import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../../../workers/io/load-model.ts';
import { folderModelSource } from '../../../workers/io/node/fs-source.ts';
import { getMethod } from '../../../workers/methods/registry.ts';
import { buildPlan } from '../../../workers/plan/build-plan.ts';
import type { OutputSlice, Recipe } from '../../../workers/plan/recipe.ts';
import { validateRecipe } from '../../../workers/plan/validate-recipe.ts';
import {
  addSlice,
  addSource,
  modelsFromSlices,
  moveSlice,
  removeSlice,
  removeSource,
  setRange,
  setSourceModel,
  setSourceParam,
  slicesFromModels,
  type LayerCounts,
} from './slices-model.ts';

const counts: LayerCounts = new Map([
  ['a', 4],
  ['b', 4],
  ['c', 6],
]);
const TINYMIX = path.resolve(import.meta.dirname, '../../../test-data/tinymix');

describe('switching between models: and slices:', () => {
  it('gives other methods one slice over whole models, the base included', () => {
    const r: Recipe = {
      merge_method: 'ties',
      base_model: 'a',
      models: [{ model: 'b', parameters: { weight: 1, density: 0.5 } }],
    };
    expect(slicesFromModels(r, counts, getMethod('ties')!)).toEqual({
      slices: [
        {
          sources: [
            { model: 'b', layer_range: [0, 4], parameters: { weight: 1, density: 0.5 } },
            { model: 'a', layer_range: [0, 4] },
          ],
        },
      ],
    });
  });

  it('gives passthrough one slice per model, to stack', () => {
    const r: Recipe = { merge_method: 'passthrough', models: [{ model: 'a' }, { model: 'c' }] };
    expect(slicesFromModels(r, counts, getMethod('passthrough')!)).toEqual({
      slices: [
        { sources: [{ model: 'a', layer_range: [0, 4] }] },
        { sources: [{ model: 'c', layer_range: [0, 6] }] },
      ],
    });
  });

  it('waits for layer counts it does not know', () => {
    const r: Recipe = { merge_method: 'linear', models: [{ model: 'a' }, { model: 'x' }] };
    expect(slicesFromModels(r, counts, getMethod('linear')!)).toEqual({ unknown: ['x'] });
  });

  it('goes back to models: exactly only from one slice over whole models', () => {
    const one: OutputSlice[] = [
      {
        sources: [
          { model: 'a', layer_range: [0, 4], parameters: { weight: 2 } },
          { model: 'b', layer_range: [0, 4] },
        ],
      },
    ];
    expect(modelsFromSlices(one, counts)).toEqual({
      models: [{ model: 'a', parameters: { weight: 2 } }, { model: 'b' }],
      exact: true,
    });
    const trimmed = setRange(one, 0, 1, [0, 3]);
    expect(modelsFromSlices(trimmed, counts).exact).toBe(false);
    const stacked: OutputSlice[] = [
      { sources: [{ model: 'a', layer_range: [0, 3] }] },
      { sources: [{ model: 'a', layer_range: [2, 4] }] },
    ];
    expect(modelsFromSlices(stacked, counts)).toEqual({ models: [{ model: 'a' }], exact: false });
  });

  it('a models: recipe and its slices give the same merge plan (real tinymix headers)', async () => {
    const models = new Map<string, LoadedModel>();
    for (const id of ['tinymix-base', 'tinymix-code', 'tinymix-math'])
      models.set(id, await loadModel(folderModelSource(id, path.join(TINYMIX, id))));
    const r: Recipe = {
      merge_method: 'ties',
      base_model: 'tinymix-base',
      models: [
        { model: 'tinymix-code', parameters: { weight: 1, density: [0.2, 0.8] } },
        { model: 'tinymix-math', parameters: { weight: 0.5, density: 0.5 } },
      ],
    };
    const n = new Map([...models].map(([id]) => [id, 4]));
    const res = slicesFromModels(r, n, getMethod('ties')!);
    if (!('slices' in res)) throw new Error('expected slices');
    const { models: _m, ...rest } = r;
    const sliced: Recipe = { ...rest, slices: res.slices };
    expect(validateRecipe(sliced).problems.filter((p) => p.severity === 'error')).toEqual([]);
    const a = buildPlan(r, models);
    const b = buildPlan(sliced, models);
    expect(b.numLayers).toBe(4);
    expect(b.tensors.map((t) => [t.name, t.perModel, t.global])).toEqual(
      a.tensors.map((t) => [t.name, t.perModel, t.global]),
    );
  });
});

describe('editing slices', () => {
  const one: OutputSlice[] = [{ sources: [{ model: 'a', layer_range: [0, 3] }] }];

  it('adds a slice that continues each source where it stopped', () => {
    const two = addSlice(one, counts);
    expect(two[1]).toEqual({ sources: [{ model: 'a', layer_range: [3, 4] }] });
    // nothing left after [3, 4): the same range again (repeating layers is a frankenmerge too)
    expect(addSlice(two, counts)[2]).toEqual({ sources: [{ model: 'a', layer_range: [3, 4] }] });
    expect(addSlice([], counts, 'c')).toEqual([{ sources: [{ model: 'c', layer_range: [0, 6] }] }]);
  });

  it('removes and reorders slices', () => {
    const two = addSlice(one, counts);
    expect(moveSlice(two, 1, -1)).toEqual([two[1], two[0]]);
    expect(moveSlice(two, 1, 1)).toBe(two);
    expect(removeSlice(two, 0)).toEqual([two[1]]);
  });

  it('adds a source as long as the first, within its model', () => {
    const s: OutputSlice[] = [{ sources: [{ model: 'c', layer_range: [3, 6] }] }];
    expect(addSource(s, 0, 'a', counts)[0]!.sources[1]).toEqual({ model: 'a', layer_range: [1, 4] });
    expect(addSource(one, 0, 'c', counts)[0]!.sources[1]).toEqual({ model: 'c', layer_range: [0, 3] });
    expect(removeSource(addSource(one, 0, 'b', counts), 0, 0)[0]!.sources).toEqual([
      { model: 'b', layer_range: [0, 3] },
    ]);
  });

  it('changes a source’s model, cutting the range to its layers and dropping its parameters', () => {
    const s: OutputSlice[] = [{ sources: [{ model: 'c', layer_range: [2, 6], parameters: { scale: 0.5 } }] }];
    expect(setSourceModel(s, 0, 0, 'a', counts)[0]!.sources[0]).toEqual({ model: 'a', layer_range: [2, 4] });
  });

  it('sets and clears a source parameter', () => {
    const withScale = setSourceParam(one, 0, 0, 'scale', 0.7);
    expect(withScale[0]!.sources[0]!.parameters).toEqual({ scale: 0.7 });
    expect(setSourceParam(withScale, 0, 0, 'scale', undefined)[0]!.sources[0]).toEqual({
      model: 'a',
      layer_range: [0, 3],
    });
  });
});
