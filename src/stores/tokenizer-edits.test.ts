/** The tokenizer and chat template edits, as plain functions; each result validates as YAML. */
import { describe, expect, it } from 'vitest';
import type { Recipe } from '../../workers/plan/recipe.ts';
import { parseRecipeYaml, recipeToYaml } from '../../workers/plan/recipe-yaml.ts';
import { removeModel } from './recipe-edits.ts';
import {
  forgetTokenizerModel,
  setChatTemplate,
  setPadToMultipleOf,
  setTokenizerSource,
} from './tokenizer-edits.ts';

const LINEAR: Recipe = {
  merge_method: 'linear',
  models: [
    { model: 'org/a', parameters: { weight: 1 } },
    { model: 'org/b', parameters: { weight: 1 } },
  ],
};
const BLOCK: Recipe = {
  ...LINEAR,
  tokenizer: {
    source: 'union',
    tokens: { '<|im_end|>': { source: 'org/b' }, '<pad>': { source: { kind: 'zero' } } },
    pad_to_multiple_of: 32,
  },
};

/** The recipe read back from its YAML, which must hold no errors. */
function roundTrip(r: Recipe): Recipe | undefined {
  const { recipe, problems } = parseRecipeYaml(recipeToYaml(r));
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return recipe;
}

describe('setTokenizerSource', () => {
  it('uses tokenizer_source in a recipe without a block', () => {
    const r = setTokenizerSource(LINEAR, 'union');
    expect(r.tokenizer_source).toBe('union');
    expect(r.tokenizer).toBeUndefined();
    expect(setTokenizerSource(r, 'org/b').tokenizer_source).toBe('org/b');
    expect(roundTrip(setTokenizerSource(r, 'org/b'))).toEqual(setTokenizerSource(r, 'org/b'));
  });

  it('sets the block’s source in a recipe with one, keeping tokens and padding', () => {
    const r = setTokenizerSource(BLOCK, 'base');
    expect(r.tokenizer).toEqual({ ...BLOCK.tokenizer, source: 'base' });
    expect(r.tokenizer_source).toBeUndefined();
    expect(roundTrip(r)).toEqual(r);
  });

  it('no source removes both spellings, tokens and padding included', () => {
    expect(setTokenizerSource(BLOCK, undefined)).toEqual(LINEAR);
    expect(setTokenizerSource({ ...LINEAR, tokenizer_source: 'base' }, undefined)).toEqual(LINEAR);
  });
});

describe('setPadToMultipleOf', () => {
  it('turns tokenizer_source into a block, and empties back to a bare block', () => {
    const r = setPadToMultipleOf({ ...LINEAR, tokenizer_source: 'org/a' }, 64);
    expect(r.tokenizer_source).toBeUndefined();
    expect(r.tokenizer).toEqual({ source: 'org/a', pad_to_multiple_of: 64 });
    expect(roundTrip(r)).toEqual(r);
    expect(setPadToMultipleOf(r, undefined).tokenizer).toEqual({ source: 'org/a' });
  });

  it('keeps the block’s tokens, in mergekit’s key order', () => {
    const r = setPadToMultipleOf(setPadToMultipleOf(BLOCK, undefined), 8);
    expect(r.tokenizer).toEqual({ ...BLOCK.tokenizer, pad_to_multiple_of: 8 });
    expect(Object.keys(r.tokenizer!)).toEqual(['source', 'tokens', 'pad_to_multiple_of']);
  });

  it('does nothing without a source, or for a count that is not a whole number from 1', () => {
    expect(setPadToMultipleOf(LINEAR, 64)).toBe(LINEAR);
    for (const n of [0, -8, 2.5, Number.NaN]) expect(setPadToMultipleOf(BLOCK, n)).toBe(BLOCK);
  });
});

describe('setChatTemplate', () => {
  it('sets auto, a name or a template; empty or undefined removes the key', () => {
    expect(setChatTemplate(LINEAR, 'auto').chat_template).toBe('auto');
    const r = setChatTemplate(LINEAR, 'chatml');
    expect(roundTrip(r)).toEqual(r);
    expect(setChatTemplate(r, undefined)).toEqual(LINEAR);
    expect(setChatTemplate(r, '')).toEqual(LINEAR);
  });
});

describe('removing the tokenizer’s model', () => {
  it('falls back to the base tokenizer, in either spelling', () => {
    expect(removeModel({ ...LINEAR, tokenizer_source: 'org/b' }, 'org/b').tokenizer_source).toBe('base');
    const r = removeModel({ ...BLOCK, tokenizer: { ...BLOCK.tokenizer!, source: 'org/b' } }, 'org/b');
    expect(r.tokenizer).toEqual({
      source: 'base',
      tokens: { '<pad>': { source: { kind: 'zero' } } },
      pad_to_multiple_of: 32,
    });
    expect(roundTrip(r)).toEqual(r);
  });

  it('drops the tokens taking rows from it, and the tokens key when none is left', () => {
    const r: Recipe = {
      ...LINEAR,
      tokenizer: {
        source: 'union',
        tokens: { x: { source: { kind: 'model_token', model: 'org/b', token: 'y' } } },
      },
    };
    expect(removeModel(r, 'org/b').tokenizer).toEqual({ source: 'union' });
    expect(removeModel(r, 'org/a').tokenizer).toEqual(r.tokenizer);
  });

  it('leaves the keywords alone, and a model still named by a slice', () => {
    const keyword = { ...LINEAR, models: [...LINEAR.models!, { model: 'base' }], tokenizer_source: 'base' };
    expect(removeModel(keyword, 'base').tokenizer_source).toBe('base');
    const sliced: Recipe = {
      merge_method: 'passthrough',
      slices: [{ sources: [{ model: 'org/b', layer_range: [0, 2] }] }],
      tokenizer_source: 'org/b',
    };
    expect(forgetTokenizerModel(sliced, 'org/b')).toBe(sliced);
  });
});
