/**
 * The output config.json of vision-language models: the language model's layer count and
 * vocabulary size go where transformers reads them (text_config), and wherever else the
 * config repeats them.
 */
import { describe, expect, it } from 'vitest';
import { outputConfig } from './output-config.ts';
import type { PlannedTensor } from './plan-types.ts';
import type { Recipe } from './recipe.ts';

const RECIPE: Recipe = { merge_method: 'linear', models: [{ model: 'a' }] };
const EMBED = {
  name: 'model.language_model.embed_tokens.weight',
  isEmbed: true,
  section: 'pre',
  shape: [300, 8],
} as unknown as PlannedTensor;

const text = (c: Record<string, unknown>) => c['text_config'] as Record<string, unknown>;

describe('outputConfig for vision-language models', () => {
  it('a config with the text settings both at the top and in text_config (Qwen2.5-VL) gets both patched', () => {
    const donor = {
      num_hidden_layers: 4,
      vocab_size: 260,
      text_config: { num_hidden_layers: 4, vocab_size: 260 },
      vision_config: { depth: 3 },
    };
    const c = outputConfig(donor, RECIPE, 6, [], new Set(), 270);
    expect([c['num_hidden_layers'], text(c)['num_hidden_layers']]).toEqual([6, 6]);
    expect([c['vocab_size'], text(c)['vocab_size']]).toEqual([270, 270]);
    expect(c['vision_config']).toEqual({ depth: 3 });
    const warnings = new Set<string>();
    const cut = outputConfig(donor, RECIPE, 4, [EMBED], warnings);
    expect([cut['vocab_size'], text(cut)['vocab_size']]).toEqual([300, 300]);
    expect([...warnings]).toEqual([
      'config.json vocab_size 260 patched to 300 to match the merged embeddings',
    ]);
  });

  it('Gemma 3 / Qwen3-VL: text_config only, the top level left alone', () => {
    const donor = { text_config: { num_hidden_layers: 4, vocab_size: 260 }, vision_config: { depth: 3 } };
    const c = outputConfig(donor, RECIPE, 6, [], new Set(), 270);
    expect(c['num_hidden_layers']).toBeUndefined();
    expect(c['vocab_size']).toBeUndefined();
    expect(text(c)).toEqual({ num_hidden_layers: 6, vocab_size: 270 });
  });

  it('LLaVA: a text_config that leaves the layer count to its default gets it when the count changes', () => {
    const donor = { vocab_size: 260, text_config: { model_type: 'llama', vocab_size: 260 } };
    expect(text(outputConfig(donor, RECIPE, 4, [], new Set(), undefined, 4))).toEqual(donor.text_config);
    const c = outputConfig(donor, RECIPE, 6, [], new Set(), 270, 4);
    expect(text(c)).toEqual({ model_type: 'llama', num_hidden_layers: 6, vocab_size: 270 });
    expect(c['vocab_size']).toBe(270);
  });
});
