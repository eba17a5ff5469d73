import { describe, expect, it } from 'vitest';
import { loadRecipe } from '../plan/recipe-yaml.ts';
import { modelCard } from './model-card.ts';

const card = (yaml: string, hub: string[]): string =>
  modelCard({ name: 'out', recipe: loadRecipe(yaml).recipe, recipeYaml: yaml, hubModels: new Set(hub) });

describe('modelCard', () => {
  it('lists and links both repos of a base+adapter model, each once', () => {
    const yaml = `merge_method: task_arithmetic
base_model: org/base
models:
  - model: org/base+org/lora@v2
    parameters: {weight: 1}
  - model: org/other+./local-lora
    parameters: {weight: 1}
`;
    const text = card(yaml, ['org/base', 'org/lora@v2', 'org/other']);
    expect(text).toContain('base_model:\n- org/base\n- org/lora\n- org/other\nlibrary_name');
    expect(text).toContain(
      '* [org/base](https://huggingface.co/org/base)+[org/lora@v2](https://huggingface.co/org/lora)',
    );
    expect(text).toContain('* [org/other](https://huggingface.co/org/other)+./local-lora');
  });

  it('a whole base+adapter id known as a Hub model counts for both parts', () => {
    const yaml = 'merge_method: linear\nmodels:\n  - model: a/b+c/d\n    parameters: {weight: 1}\n';
    expect(card(yaml, ['a/b+c/d'])).toContain('base_model:\n- a/b\n- c/d\n');
  });
});
