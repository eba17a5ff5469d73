import { describe, expect, it } from 'vitest';
import type { Recipe } from '../../../workers/plan/recipe.ts';
import { formatValue, layerPositions, valuesPerLayer } from './layer-positions.ts';

describe('layer positions', () => {
  it('spreads a models: recipe over all its layers', () => {
    const r: Recipe = { merge_method: 'slerp', models: [{ model: 'a' }] };
    expect(layerPositions(r, 4).map((p) => p.t)).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(layerPositions(r, 1)).toEqual([{ layer: 0, t: 1, slice: 0 }]);
  });

  it('starts the gradient again in every output slice', () => {
    const r: Recipe = {
      merge_method: 'passthrough',
      slices: [
        { sources: [{ model: 'a', layer_range: [0, 3] }] },
        { sources: [{ model: 'b', layer_range: [2, 4] }] },
        { sources: [{ model: 'b', layer_range: [3, 4] }] },
      ],
    };
    const p = layerPositions(r, 99);
    expect(p.map((x) => x.t)).toEqual([0, 0.5, 1, 0, 1, 1]);
    expect(p.map((x) => x.slice)).toEqual([0, 0, 0, 1, 1, 2]);
    expect(p.map((x) => x.layer)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('gives each curve its value at each layer', () => {
    const r: Recipe = { merge_method: 'slerp', models: [] };
    const rows = valuesPerLayer(
      [
        { filter: 'mlp', anchors: [0, 1] },
        { filter: undefined, anchors: [1, 0, 1] },
      ],
      layerPositions(r, 5),
    );
    expect(rows).toEqual([
      [0, 1],
      [0.25, 0.5],
      [0.5, 0],
      [0.75, 0.5],
      [1, 1],
    ]);
  });

  it('formats values without float noise', () => {
    expect(formatValue(0.1 + 0.2)).toBe('0.3');
    expect(formatValue(1 / 3)).toBe('0.3333');
    expect(formatValue(true)).toBe('true');
    expect(formatValue(undefined)).toBe('–');
  });
});
