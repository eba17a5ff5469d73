/**
 * Vision-language (multi-module) models merged with `models:`: every layer stack gets its
 * positions from its own layer count, as mergekit plans each module of a modular architecture,
 * and tensors outside the stacks sit at position 0. The checks compare the merge of a
 * vision-language model with the merges of its parts on their own: the language model's
 * tensors must be byte for byte those of the same recipe on the text model (which the golden
 * set checks against mergekit), and the vision tower's those of a vision-only model.
 */
import { describe, expect, it } from 'vitest';
import type { ModelResolver } from '../io/source.ts';
import { RecipeError } from '../plan/problems.ts';
import { mergeInMemory } from './test-helpers.ts';
import {
  PROCESSOR_FILES,
  SLERP,
  VISION_LAYERS,
  vlModels as models,
  type TokenizerJson,
} from './vl-test-helpers.ts';

const TIES = `merge_method: ties
base_model: tinymix-base
models:
  - model: tinymix-code
    parameters: {weight: [0.3, 0.9], density: 0.6}
  - model: tinymix-math
    parameters: {weight: 0.5, density: [0.9, 0.4]}
dtype: bfloat16
`;

/** A tokenizer without its last two added tokens: 258 tokens for the 260 embedding rows. */
function shorter(t: TokenizerJson): void {
  t.added_tokens = t.added_tokens.filter((a) => a.id < 258);
  t.model.vocab = Object.fromEntries(Object.entries(t.model.vocab).filter(([, id]) => id < 258));
}

describe('vision-language (multi-module) models, merged with models:', () => {
  for (const [label, recipe, ids] of [
    ['slerp with gradients and filters', SLERP, ['tinymix-base', 'tinymix-code']],
    ['ties with gradients', TIES, ['tinymix-base', 'tinymix-code', 'tinymix-math']],
  ] as const) {
    it(`${label}: each stack at its own positions, the same bytes as its part merged alone`, async () => {
      const m = await models(ids);
      const vl = await mergeInMemory(recipe, m.vl);
      const text = await mergeInMemory(recipe, m.text);
      const vision = await mergeInMemory(recipe, m.vision);
      const expected = new Map<string, Uint8Array>();
      for (const name of text.out.tensors.keys()) expected.set(`language_model.${name}`, text.bytes(name));
      for (const name of vision.out.tensors.keys()) expected.set(name, vision.bytes(name));
      expect([...vl.out.tensors.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [name, bytes] of expected) expect(vl.bytes(name), name).toEqual(bytes);
      // The vision stack's layers really differ by position (the check above would catch a
      // position taken from the text stack's count).
      expect(vl.bytes('vision_tower.encoder.layers.1.attn.weight')).not.toEqual(
        vl.bytes('vision_tower.encoder.layers.0.attn.weight'),
      );
      const config = vl.json('config.json');
      expect((config['text_config'] as Record<string, unknown>)['num_hidden_layers']).toBe(4);
      expect(config['vision_config']).toEqual({ num_hidden_layers: VISION_LAYERS });
      expect(vl.result.layers).toBe(4);
      // The base's processor files come along, as mergekit's VLM architectures carry them.
      for (const f of PROCESSOR_FILES) expect(vl.json(f)).toEqual({ file: f, model: 'tinymix-base' });
    });
  }

  it("tokenizer_source: the language model's embeddings (under language_model.) cut to the tokenizer, vocab_size set wherever the config gives it", async () => {
    // Qwen2.5-VL's configs repeat the text settings at the top level.
    const m = await models(['tinymix-code', 'tinymix-math'], {
      tokenizer: shorter,
      config: (c) => Object.assign(c, { num_hidden_layers: 4, vocab_size: 260 }),
    });
    const recipe = `merge_method: linear
models:
  - model: tinymix-code
    parameters: {weight: 1}
  - model: tinymix-math
    parameters: {weight: 2}
tokenizer_source: base
`;
    const vl = await mergeInMemory(recipe, m.vl);
    const text = await mergeInMemory(recipe, m.text);
    const plain = await mergeInMemory(recipe.replace('tokenizer_source: base\n', ''), m.vl);
    for (const name of text.out.tensors.keys()) {
      expect(vl.bytes(`language_model.${name}`), name).toEqual(text.bytes(name));
    }
    expect(vl.out.tensors.get('language_model.model.embed_tokens.weight')!.shape).toEqual([258, 128]);
    expect(vl.out.tensors.get('language_model.lm_head.weight')!.shape).toEqual([258, 128]);
    for (const name of plain.out.tensors.keys()) {
      if (!name.startsWith('language_model.')) expect(vl.bytes(name), name).toEqual(plain.bytes(name));
    }
    const config = vl.json('config.json');
    expect((config['text_config'] as Record<string, unknown>)['vocab_size']).toBe(258);
    expect(config['vocab_size']).toBe(258);
  });

  it('refuses slices: and a text-only model among vision-language ones, saying why', async () => {
    const m = await models(['tinymix-base', 'tinymix-code']);
    const slices = `merge_method: passthrough
slices:
  - sources: [{model: tinymix-base, layer_range: [0, 2]}]
  - sources: [{model: tinymix-code, layer_range: [2, 4]}]
`;
    const err = await mergeInMemory(slices, m.vl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecipeError);
    expect((err as Error).message).toMatch(
      /tinymix-base has several layer stacks \(language_model\.model\.layers\. 4, vision_tower\.encoder\.layers\. 3\): a vision-language or other multi-module model\. slices: pick layers of one stack only; merge it with models:, or give each module its own slices under modules:/,
    );
    const mixed: ModelResolver = (id) => (id === 'tinymix-code' ? m.text(id) : m.vl(id));
    const err2 = await mergeInMemory(SLERP, mixed).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(RecipeError);
    expect((err2 as Error).message).toMatch(
      /tinymix-code's layer stacks \(model\.layers\. 4\) differ from tinymix-base's \(language_model\.model\.layers\. 4, vision_tower\.encoder\.layers\. 3\): the models must have the same architecture/,
    );
  });
});
