import { describe, expect, it } from 'vitest';
import { validateRecipe } from '../plan/validate-recipe.ts';
import { bakllamaRecipe } from './bakllama.ts';

const CONFIG = `layer_slices:
  - model: org/a
    start: 0
    end: 4
  - model: org/b
    start: 2
    end: 6
    scale: 0.5
embedding_source: org/a
lm_head_source: org/b
`;

describe('bakllama configurations as passthrough slices', () => {
  it('one output slice per layer slice; scale on down_proj only; fp16', () => {
    const r = bakllamaRecipe(CONFIG, { fp16: true });
    expect(r).toEqual({
      merge_method: 'passthrough',
      dtype: 'float16',
      slices: [
        { sources: [{ model: 'org/a', layer_range: [0, 4] }] },
        {
          sources: [
            {
              model: 'org/b',
              layer_range: [2, 6],
              parameters: { scale: [{ filter: 'down_proj', value: 0.5 }] },
            },
          ],
        },
      ],
    });
    expect(validateRecipe(r).problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('names the key, slice and fix for bad configurations', () => {
    expect(() => bakllamaRecipe('layer_slice: []')).toThrow(/unknown key layer_slice/);
    expect(() => bakllamaRecipe('layer_slices: []')).toThrow(/layer_slices: expected a list/);
    expect(() => bakllamaRecipe('layer_slices: [{model: a, start: 4, end: 4}]')).toThrow(
      /layer_slices\[0\]: end \(4\) must be after start \(4\)/,
    );
    expect(() => bakllamaRecipe('layer_slices: [{model: a, start: 0, end: 2, scal: 1}]')).toThrow(
      /unknown key scal/,
    );
    expect(() => bakllamaRecipe('layer_slices: [{start: 0, end: 2}]')).toThrow(/model: required/);
    expect(() => bakllamaRecipe('layer_slices: [{model: a, start: -1, end: 2}]')).toThrow(
      /start: expected a whole number/,
    );
    expect(() => bakllamaRecipe('layer_slices: [{model: a, start: 0, end: 2}]\nembedding_source: b')).toThrow(
      /embeddings come from the first slice's model \(a\)/,
    );
    expect(() => bakllamaRecipe('layer_slices: [{model: a, start: 0, end: 2}]\nlm_head_source: b')).toThrow(
      /end with a slice of b/,
    );
    expect(() => bakllamaRecipe('layer_slices: [')).toThrow(/cannot read the configuration as YAML/);
  });
});
