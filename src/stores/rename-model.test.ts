/**
 * Renaming a model (a LoRA adapter applied, `base` -> `base+adapter`, or removed): every place a
 * recipe names it changes, nothing else does, and the result validates as YAML. Then the store's
 * action: parameters set aside by a method switch and the curve being edited follow the model.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Recipe } from '../../workers/plan/recipe.ts';
import { parseRecipeYaml, recipeToYaml } from '../../workers/plan/recipe-yaml.ts';
import { EMPTY_RECIPE } from './recipe-edits.ts';
import { renameModel, renameStash } from './rename-model.ts';
import { useStudio } from './store.ts';

const TIES: Recipe = {
  merge_method: 'ties',
  base_model: 'org/base',
  models: [
    { model: 'org/base' },
    { model: 'org/code', parameters: { weight: 0.5, density: [0.2, 0.8] } },
    { model: 'org/math', parameters: { weight: 0.5, density: 0.5 } },
  ],
  parameters: { lambda: 1 },
  tokenizer: {
    source: 'org/code',
    tokens: {
      '<|im_end|>': { source: 'org/code' },
      '<|im_start|>': { source: { kind: 'model_token', model: 'org/code', token: '<s>' }, force: true },
      '<pad>': { source: { kind: 'zero' } },
      '<x>': { source: 'org/math' },
    },
    pad_to_multiple_of: 8,
  },
  chat_template: 'auto',
};

const SLICES: Recipe = {
  merge_method: 'ties',
  base_model: 'org/base',
  slices: [
    {
      sources: [
        { model: 'org/base', layer_range: [0, 2] },
        { model: 'org/code', layer_range: [0, 2], parameters: { weight: 1 } },
      ],
      base_model: 'org/base',
      parameters: { density: 0.3 },
    },
    {
      sources: [
        { model: 'org/base', layer_range: [2, 4] },
        { model: 'org/code', layer_range: [2, 4], parameters: { weight: 1 } },
      ],
    },
  ],
  tokenizer_source: 'org/base',
};

/** The recipe read back from its YAML, which must hold no errors. */
function roundTrip(r: Recipe): Recipe | undefined {
  const { recipe, problems } = parseRecipeYaml(recipeToYaml(r));
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return recipe;
}

describe('renameModel', () => {
  it('renames a model with its parameters, its tokenizer source and the tokens taken from it', () => {
    const r = renameModel(TIES, 'org/code', 'org/code+org/lora');
    expect(r).toEqual({
      ...TIES,
      models: [
        { model: 'org/base' },
        { model: 'org/code+org/lora', parameters: { weight: 0.5, density: [0.2, 0.8] } },
        { model: 'org/math', parameters: { weight: 0.5, density: 0.5 } },
      ],
      tokenizer: {
        source: 'org/code+org/lora',
        tokens: {
          '<|im_end|>': { source: 'org/code+org/lora' },
          '<|im_start|>': {
            source: { kind: 'model_token', model: 'org/code+org/lora', token: '<s>' },
            force: true,
          },
          '<pad>': { source: { kind: 'zero' } },
          '<x>': { source: 'org/math' },
        },
        pad_to_multiple_of: 8,
      },
    });
    expect(roundTrip(r)).toEqual(r);
    // Removing the adapter is the rename back.
    expect(renameModel(r, 'org/code+org/lora', 'org/code')).toEqual(TIES);
  });

  it('renames the base model, which stays the base', () => {
    const r = renameModel(TIES, 'org/base', 'org/base+org/lora');
    expect(r.base_model).toBe('org/base+org/lora');
    expect(r.models?.[0]).toEqual({ model: 'org/base+org/lora' });
    expect(r.tokenizer?.source).toBe('org/code');
    expect(roundTrip(r)).toEqual(r);
  });

  it('renames slice sources, slice bases and tokenizer_source, keeping the slices’ parameters', () => {
    const r = renameModel(SLICES, 'org/base', 'org/base+l');
    expect(r).toEqual({
      ...SLICES,
      base_model: 'org/base+l',
      slices: [
        {
          sources: [
            { model: 'org/base+l', layer_range: [0, 2] },
            { model: 'org/code', layer_range: [0, 2], parameters: { weight: 1 } },
          ],
          base_model: 'org/base+l',
          parameters: { density: 0.3 },
        },
        {
          sources: [
            { model: 'org/base+l', layer_range: [2, 4] },
            { model: 'org/code', layer_range: [2, 4], parameters: { weight: 1 } },
          ],
        },
      ],
      tokenizer_source: 'org/base+l',
    });
    expect(roundTrip(r)).toEqual(r);
  });

  it("renames a modules: recipe's models in every module, keeping each module's parameters", () => {
    const r: Recipe = {
      merge_method: 'ties',
      base_model: 'org/base',
      modules: {
        text_decoder: {
          models: [{ model: 'org/code', parameters: { weight: 1 } }],
          parameters: { density: 0.5 },
        },
        vision_tower: {
          slices: [
            {
              sources: [
                { model: 'org/base', layer_range: [0, 2] },
                { model: 'org/code', layer_range: [0, 2], parameters: { weight: 1 } },
              ],
            },
          ],
        },
      },
    };
    const out = renameModel(r, 'org/code', 'org/code+l');
    expect(out).toEqual({
      ...r,
      modules: {
        text_decoder: {
          models: [{ model: 'org/code+l', parameters: { weight: 1 } }],
          parameters: { density: 0.5 },
        },
        vision_tower: {
          slices: [
            {
              sources: [
                { model: 'org/base', layer_range: [0, 2] },
                { model: 'org/code+l', layer_range: [0, 2], parameters: { weight: 1 } },
              ],
            },
          ],
        },
      },
    });
    expect(roundTrip(out)).toEqual(out);
  });

  it('does nothing for a model not in the recipe, or a new name already in it', () => {
    expect(renameModel(TIES, 'org/other', 'org/x')).toBe(TIES);
    expect(renameModel(TIES, 'org/code', 'org/math')).toBe(TIES);
    expect(renameModel(TIES, 'org/code', 'org/code')).toBe(TIES);
  });

  it('a model called base or union is renamed, the tokenizer keywords are not', () => {
    const r: Recipe = {
      merge_method: 'linear',
      models: [
        { model: 'base', parameters: { weight: 1 } },
        { model: 'b', parameters: { weight: 1 } },
      ],
      tokenizer_source: 'base',
    };
    expect(renameModel(r, 'base', 'base+lora')).toEqual({
      ...r,
      models: [
        { model: 'base+lora', parameters: { weight: 1 } },
        { model: 'b', parameters: { weight: 1 } },
      ],
    });
  });
});

describe('renameStash', () => {
  it('renames the model’s places, per model and per slice source', () => {
    const stash = {
      global: { t: 0.5 },
      'model:a': { density: 0.5 },
      'model:ab': { density: 0.1 },
      'slice:0:a': { density: 0.2 },
      'slice:1:b': { density: 0.3 },
    };
    expect(renameStash(stash, 'a', 'a+l')).toEqual({
      global: { t: 0.5 },
      'model:a+l': { density: 0.5 },
      'model:ab': { density: 0.1 },
      'slice:0:a+l': { density: 0.2 },
      'slice:1:b': { density: 0.3 },
    });
  });
});

const s = () => useStudio.getState();

describe('the renameModel action', () => {
  beforeEach(() => {
    s().setRecipe(EMPTY_RECIPE);
    s().setCurveTarget(undefined);
  });

  it('keeps what a method switch set aside, and the curve being edited, with the model', () => {
    s().setRecipe(TIES);
    s().setCurveTarget({ name: 'density', model: 'org/code' });
    s().setMethod('linear'); // takes no density: set aside
    expect(s().paramStash['model:org/code']).toEqual({ density: [0.2, 0.8] });
    s().renameModel('org/code', 'org/code+org/lora');
    expect(s().curveTarget).toEqual({ name: 'density', model: 'org/code+org/lora' });
    expect(s().paramStash['model:org/code+org/lora']).toEqual({ density: [0.2, 0.8] });
    s().setMethod('ties');
    expect(s().recipe.models?.[1]).toEqual({
      model: 'org/code+org/lora',
      parameters: { weight: 0.5, density: [0.2, 0.8] },
    });
  });

  it('does nothing when the new name is in the recipe already', () => {
    s().setRecipe(TIES);
    const before = s().recipe;
    s().renameModel('org/code', 'org/math');
    expect(s().recipe).toBe(before);
  });

  it('moves a merge_studio weight with its model', () => {
    const r: Recipe = {
      merge_method: 'karcher',
      models: [{ model: 'a' }, { model: 'b' }],
      merge_studio: { seed: 3, weights: { a: 2, b: 0.5 } },
    };
    const next = renameModel(r, 'a', 'a+lora');
    expect(next.merge_studio).toEqual({ seed: 3, weights: { 'a+lora': 2, b: 0.5 } });
  });
});
