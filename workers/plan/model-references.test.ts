import { describe, expect, it } from 'vitest';
import { modelReferences, renameModels } from './model-references.ts';
import { formatPath } from './problems.ts';
import { parseRecipeYaml } from './recipe-yaml.ts';

const SLICES = `merge_method: karcher
slices:
  - sources:
      - {model: org/a+org/lora, layer_range: [0, 2]}
      - {model: org/b, layer_range: [0, 2]}
    base_model: org/b
tokenizer:
  source: org/a+org/lora
  tokens:
    <x>: {source: org/b}
    <y>: {source: {kind: model_token, model: org/b, token: z}}
    <z>: {source: {kind: zero}}
merge_studio: {weights: {org/b: 2}}
`;

describe('model references', () => {
  it('finds every place a recipe names a model, with its path', () => {
    const recipe = parseRecipeYaml(SLICES).recipe!;
    expect(modelReferences(recipe).map((r) => `${formatPath(r.path)} ${r.ref}`)).toEqual([
      'slices[0].base_model org/b',
      'slices[0].sources[0].model org/a+org/lora',
      'slices[0].sources[1].model org/b',
      'tokenizer.source org/a+org/lora',
      'tokenizer.tokens.<x>.source org/b',
      'tokenizer.tokens.<y>.source.model org/b',
      'merge_studio.weights.org/b org/b',
    ]);
    const models = parseRecipeYaml(
      'merge_method: ties\nbase_model: org/base\nmodels:\n  - model: org/a\n    parameters: {weight: 1, density: 0.5}\ntokenizer_source: union\n',
    ).recipe!;
    // union and base are the tokenizer's keywords, not models.
    expect(modelReferences(models).map((r) => formatPath(r.path))).toEqual(['base_model', 'models[0].model']);
    const modules = parseRecipeYaml(
      'merge_method: linear\nparameters: {weight: 1}\nmodules:\n  text_decoder:\n    models: [{model: org/a}]\n  vision_tower:\n    slices: [{sources: [{model: org/b, layer_range: [0, 2]}]}]\n',
    ).recipe!;
    expect(modelReferences(modules).map((r) => `${formatPath(r.path)} ${r.ref}`)).toEqual([
      'modules.text_decoder.models[0].model org/a',
      'modules.vision_tower.slices[0].sources[0].model org/b',
    ]);
  });

  it('renames them all, and leaves the rest of the recipe as it was', () => {
    const recipe = parseRecipeYaml(SLICES).recipe!;
    const renamed = renameModels(recipe, (ref) => ref.toUpperCase());
    expect(modelReferences(renamed).map((r) => r.ref)).toEqual(
      modelReferences(recipe).map((r) => r.ref.toUpperCase()),
    );
    expect(renamed.slices![0]!.sources[0]!.layer_range).toEqual([0, 2]);
    expect(renamed.tokenizer!.tokens!['<z>']).toEqual({ source: { kind: 'zero' } });
    expect(renamed.merge_method).toBe('karcher');
  });
});
