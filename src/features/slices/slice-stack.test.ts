import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { getMethod } from '../../../workers/methods/registry.ts';
import type { OutputSlice } from '../../../workers/plan/recipe.ts';
import { loadRecipe } from '../../../workers/plan/recipe-yaml.ts';
import { layersText, layerStack, sliceProblems } from './slice-stack.ts';

const counts = new Map([
  ['tinymix-code', 4],
  ['tinymix-math', 4],
  ['tinymix-base', 4],
]);
const GOLDEN = path.resolve(import.meta.dirname, '../../../test-data/golden');

describe('the output layer stack', () => {
  it('stacks the golden frankenmerge into 5 layers: code 0-2 then math 2-3', async () => {
    const text = await readFile(path.join(GOLDEN, 'passthrough-frankenmerge/recipe.yml'), 'utf8');
    const { recipe } = loadRecipe(text);
    const stack = layerStack(recipe.slices!);
    expect(stack.total).toBe(5);
    expect(stack.rows).toEqual([
      { slice: 0, outStart: 0, outEnd: 3, sources: [{ model: 'tinymix-code', start: 0, end: 3 }] },
      { slice: 1, outStart: 3, outEnd: 5, sources: [{ model: 'tinymix-math', start: 2, end: 4 }] },
    ]);
    expect(sliceProblems(recipe.slices!, counts, getMethod('passthrough')!, undefined)).toEqual([]);
  });

  it('writes ranges as the layers a user counts', () => {
    expect(layersText(0, 3)).toBe('layers 0–2');
    expect(layersText(3, 4)).toBe('layer 3');
    expect(layersText(2, 2)).toBe('no layers');
  });
});

describe('slice problems', () => {
  const ties = getMethod('ties')!;
  it('needs the same span from every source of a slice', () => {
    const s: OutputSlice[] = [
      {
        sources: [
          { model: 'tinymix-base', layer_range: [0, 3] },
          { model: 'tinymix-code', layer_range: [1, 3] },
        ],
      },
    ];
    expect(sliceProblems(s, counts, ties, 'tinymix-base')).toEqual([
      {
        slice: 0,
        message:
          'Slice 1: its sources span 3 and 2 layers; they are merged layer by layer, so each must span the same number.',
      },
    ]);
  });

  it('checks ranges against the model, one source per passthrough slice, and the base', () => {
    const s: OutputSlice[] = [
      {
        sources: [
          { model: 'tinymix-code', layer_range: [2, 5] },
          { model: 'tinymix-math', layer_range: [3, 3] },
        ],
      },
    ];
    const pass = sliceProblems(s, counts, getMethod('passthrough')!, undefined).map((p) => p.message);
    expect(pass).toEqual([
      'tinymix-code has 4 layers (0–3); this range ends at 5.',
      'tinymix-math: the range is empty; its end must be after 3.',
      'Slice 1: its sources span 3 and 0 layers; they are merged layer by layer, so each must span the same number.',
      'Slice 1: passthrough copies layers from one model, so each slice takes one source; stack models with one slice each.',
    ]);
    const onto = sliceProblems(
      [{ sources: [{ model: 'tinymix-code', layer_range: [0, 4] }] }],
      counts,
      ties,
      'tinymix-base',
    );
    expect(onto.map((p) => p.message)).toEqual([
      'Slice 1: TIES merges onto the base model, so tinymix-base must be one of its sources.',
    ]);
    expect(sliceProblems([], counts, ties, undefined)).toHaveLength(1);
  });
});
