import { describe, expect, it } from 'vitest';
import { ArchitectureError, inferArchitecture, isEmbedName, type ModelInfo } from './architecture.ts';

function model(names: readonly string[], config: Record<string, unknown> = {}): ModelInfo {
  return {
    id: 'm',
    config,
    tensors: new Map(names.map((n) => [n, { dtype: 'BF16', shape: [2, 2] }])),
  };
}

const layers = (prefix: string, n: number, suffixes: readonly string[]): string[] =>
  Array.from({ length: n }, (_, i) => suffixes.map((s) => `${prefix}${i}.${s}`)).flat();

describe('inferArchitecture', () => {
  it('a decoder: one stack, embeddings before, norm and head after', () => {
    const a = inferArchitecture(
      model(
        [
          'model.embed_tokens.weight',
          'model.norm.weight',
          'lm_head.weight',
          ...layers('model.layers.', 2, ['mlp.up_proj.weight']),
        ],
        { num_hidden_layers: 2 },
      ),
    );
    expect(a).toMatchObject({
      numLayers: 2,
      layerPrefix: 'model.layers.',
      pre: ['model.embed_tokens.weight'],
    });
    expect(a.post).toEqual(['lm_head.weight', 'model.norm.weight']);
    expect(a.stacks).toHaveLength(1);
  });

  it("Qwen2-VL's layout: the language model's stack first, the vision blocks second, the merger's Sequential outside", () => {
    const a = inferArchitecture(
      model(
        [
          'model.embed_tokens.weight',
          'lm_head.weight',
          'model.norm.weight',
          ...layers('model.layers.', 4, ['self_attn.q_proj.weight', 'mlp.up_proj.weight']),
          'visual.patch_embed.proj.weight',
          ...layers('visual.blocks.', 6, ['attn.qkv.weight', 'mlp.fc1.weight']),
          'visual.merger.ln_q.weight',
          'visual.merger.mlp.0.weight',
          'visual.merger.mlp.2.weight',
        ],
        // Qwen2-VL keeps the text settings at the top level and the vision ones in vision_config.
        { num_hidden_layers: 4, vision_config: { depth: 6 } },
      ),
    );
    expect(a.stacks.map((s) => [s.prefix, s.numLayers])).toEqual([
      ['model.layers.', 4],
      ['visual.blocks.', 6],
    ]);
    expect(a.numLayers).toBe(4);
    expect([...a.pre, ...a.post].sort()).toEqual([
      'lm_head.weight',
      'model.embed_tokens.weight',
      'model.norm.weight',
      'visual.merger.ln_q.weight',
      'visual.merger.mlp.0.weight',
      'visual.merger.mlp.2.weight',
      'visual.patch_embed.proj.weight',
    ]);
  });

  it("Gemma 3's layout: the main stack is the one text_config counts, even when the vision tower is longer", () => {
    const a = inferArchitecture(
      model(
        [
          ...layers('model.language_model.layers.', 3, ['mlp.up_proj.weight']),
          ...layers('model.vision_tower.vision_model.encoder.layers.', 5, ['mlp.fc1.weight']),
          'model.multi_modal_projector.mm_input_projection_weight',
        ],
        { text_config: { num_hidden_layers: 3 }, vision_config: { num_hidden_layers: 5 } },
      ),
    );
    expect(a.stacks.map((s) => s.prefix)).toEqual([
      'model.language_model.layers.',
      'model.vision_tower.vision_model.encoder.layers.',
    ]);
    // Without a count in the config, a stack named as a language model comes first.
    const b = inferArchitecture(
      model([
        ...layers('language_model.model.layers.', 3, ['w']),
        ...layers('vision_tower.encoder.layers.', 5, ['w']),
      ]),
    );
    expect(b.layerPrefix).toBe('language_model.model.layers.');
  });

  it("Qwen3-VL's layout: the deepstack mergers are a stack of their own, as mergekit describes them", () => {
    const a = inferArchitecture(
      model(
        [
          ...layers('model.language_model.layers.', 4, ['mlp.up_proj.weight']),
          ...layers('model.visual.blocks.', 6, ['mlp.linear_fc1.weight']),
          ...layers('model.visual.deepstack_merger_list.', 3, ['linear_fc1.weight']),
          'model.visual.merger.linear_fc1.weight',
        ],
        { text_config: { num_hidden_layers: 4 }, vision_config: { depth: 6 } },
      ),
    );
    expect(a.stacks.map((s) => [s.prefix, s.numLayers])).toEqual([
      ['model.language_model.layers.', 4],
      ['model.visual.blocks.', 6],
      ['model.visual.deepstack_merger_list.', 3],
    ]);
  });

  it("Qwen-VL's OpenAI CLIP tower (resblocks) is a stack; without a count, the stack outside the tower is the language model's", () => {
    const a = inferArchitecture(
      model(
        [
          'transformer.wte.weight',
          ...layers('transformer.h.', 2, ['attn.c_attn.weight']),
          'transformer.visual.conv1.weight',
          ...layers('transformer.visual.transformer.resblocks.', 4, [
            'attn.in_proj_weight',
            'mlp.c_fc.weight',
          ]),
        ],
        { num_hidden_layers: 2 },
      ),
    );
    expect(a.stacks.map((s) => [s.prefix, s.numLayers])).toEqual([
      ['transformer.h.', 2],
      ['transformer.visual.transformer.resblocks.', 4],
    ]);
    // Qwen2-VL's layout with no layer count in its config: not the longer vision blocks.
    const b = inferArchitecture(
      model([...layers('model.layers.', 2, ['w']), ...layers('visual.blocks.', 4, ['w'])]),
    );
    expect(b.layerPrefix).toBe('model.layers.');
  });

  it('embedding names are whole name components (Phi-3-vision’s vision_embed_tokens is a tower)', () => {
    for (const name of [
      'model.embed_tokens.weight',
      'language_model.model.embed_tokens.weight',
      'model.language_model.embed_tokens.weight',
      'language_model.lm_head.weight',
      'lm_head.weight',
      'transformer.wte.weight',
      'gpt_neox.embed_in.weight',
      'embed_out.weight',
      'transformer.word_embeddings.weight',
      'tok_embeddings.weight',
      'output.weight',
    ]) {
      expect(isEmbedName(name), name).toBe(true);
    }
    for (const name of [
      'model.vision_embed_tokens.img_processor.vision_model.encoder.layers.0.self_attn.q_proj.weight',
      'model.vision_embed_tokens.img_projection.0.weight',
      'model.vision_embed_tokens.glb_GN',
      'model.visual.pos_embed.weight',
      'vision_tower.vision_model.embeddings.position_embedding.weight',
    ]) {
      expect(isEmbedName(name), name).toBe(false);
    }
  });

  it('refuses what it cannot read as layer stacks', () => {
    expect(() =>
      inferArchitecture(model([...layers('a.mlp.', 2, ['w']), ...layers('b.proj.', 2, ['w'])])),
    ).toThrow(
      /numbered tensors under several prefixes \(a\.mlp\., b\.proj\.\) and none of them is a layer stack/,
    );
    expect(() =>
      inferArchitecture(
        model([...layers('model.layers.', 4, ['w']), ...layers('visual.blocks.', 6, ['w'])], {
          num_hidden_layers: 5,
        }),
      ),
    ).toThrow(ArchitectureError);
    expect(() =>
      inferArchitecture(
        model(['model.layers.0.w', 'model.layers.2.w', ...layers('visual.blocks.', 2, ['w'])]),
      ),
    ).toThrow(/no tensors for layer 1 of model\.layers\./);
  });
});
