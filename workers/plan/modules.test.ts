/**
 * The modules read from the tensor names of real vision-language checkpoints, in both naming
 * generations of transformers (before 4.52: `language_model.model.layers.N`; since:
 * `model.language_model.layers.N` with `lm_head.weight` at the top), against mergekit's
 * descriptions (gemma3vl, qwen2_vl, qwen2_5_vl, qwen3_vl, mistral3, llama4 .json): which stack
 * is the language model's, which module each tensor is in, and which of a module's tensors
 * come before its layers (its first slice's) and after (its last slice's).
 */
import { describe, expect, it } from 'vitest';
import { inferArchitecture, type ModelInfo } from './architecture.ts';
import { modelModules, moduleNamed } from './modules.ts';

const layers = (prefix: string, n: number, suffixes: readonly string[]): string[] =>
  Array.from({ length: n }, (_, i) => suffixes.map((s) => `${prefix}${i}.${s}`)).flat();

function modulesOf(names: readonly string[], config: Record<string, unknown>) {
  const m: ModelInfo = {
    id: 'm',
    config,
    tensors: new Map(names.map((n) => [n, { dtype: 'BF16', shape: [2, 2] }])),
  };
  const arch = inferArchitecture(m);
  const modules = modelModules('m', arch);
  return {
    main: arch.layerPrefix,
    modules: Object.fromEntries(
      [...modules].map(([name, x]) => [
        name,
        { stack: x.stack && `${x.stack.prefix} ${x.stack.numLayers}`, pre: x.pre, post: x.post },
      ]),
    ),
  };
}

const TEXT = ['input_layernorm.weight', 'self_attn.q_proj.weight', 'mlp.down_proj.weight'];
const SIGLIP = ['layer_norm1.weight', 'self_attn.q_proj.weight', 'mlp.fc1.weight'];
const PIXTRAL = ['attention.q_proj.weight', 'attention_norm.weight', 'feed_forward.gate_proj.weight'];
const VL_CONFIG = { text_config: { num_hidden_layers: 3 }, vision_config: { num_hidden_layers: 4 } };

describe('modelModules on real checkpoint layouts', () => {
  for (const [gen, p, head] of [
    ['transformers < 4.52', { text: 'language_model.model.', root: '' }, 'language_model.lm_head.weight'],
    ['transformers ≥ 4.52', { text: 'model.language_model.', root: 'model.' }, 'lm_head.weight'],
  ] as const) {
    it(`Gemma 3 (${gen}): text_decoder, vision_tower, multi_modal_projector as gemma3vl.json`, () => {
      const v = `${p.root}vision_tower.vision_model.`;
      const names = [
        `${p.text}embed_tokens.weight`,
        ...layers(`${p.text}layers.`, 3, TEXT),
        `${p.text}norm.weight`,
        `${p.root}multi_modal_projector.mm_input_projection_weight`,
        `${p.root}multi_modal_projector.mm_soft_emb_norm.weight`,
        `${v}embeddings.patch_embedding.weight`,
        `${v}embeddings.position_embedding.weight`,
        ...layers(`${v}encoder.layers.`, 4, SIGLIP),
        `${v}post_layernorm.weight`,
      ];
      expect(modulesOf(names, VL_CONFIG)).toEqual({
        main: `${p.text}layers.`,
        modules: {
          text_decoder: {
            stack: `${p.text}layers. 3`,
            pre: [`${p.text}embed_tokens.weight`],
            post: [`${p.text}norm.weight`],
          },
          vision_tower: {
            stack: `${v}encoder.layers. 4`,
            pre: [`${v}embeddings.patch_embedding.weight`, `${v}embeddings.position_embedding.weight`],
            post: [`${v}post_layernorm.weight`],
          },
          // mergekit lists the projector's weights before its (absent) layers.
          multi_modal_projector: {
            stack: undefined,
            pre: [
              `${p.root}multi_modal_projector.mm_input_projection_weight`,
              `${p.root}multi_modal_projector.mm_soft_emb_norm.weight`,
            ],
            post: [],
          },
        },
      });
    });

    it(`Mistral 3 / Pixtral (${gen}): the patch convolution and ln_pre before the tower's layers`, () => {
      const v = `${p.root}vision_tower.`;
      const mm = `${p.root}multi_modal_projector.`;
      const names = [
        `${p.text}embed_tokens.weight`,
        ...layers(`${p.text}layers.`, 3, TEXT),
        `${p.text}norm.weight`,
        head,
        `${mm}linear_1.weight`,
        `${mm}linear_2.weight`,
        `${mm}norm.weight`,
        `${mm}patch_merger.merging_layer.weight`,
        `${v}patch_conv.weight`,
        `${v}ln_pre.weight`,
        ...layers(`${v}transformer.layers.`, 4, PIXTRAL),
      ];
      expect(modulesOf(names, VL_CONFIG)).toEqual({
        main: `${p.text}layers.`,
        modules: {
          text_decoder: {
            stack: `${p.text}layers. 3`,
            pre: [`${p.text}embed_tokens.weight`],
            post: [head, `${p.text}norm.weight`].sort(),
          },
          vision_tower: {
            stack: `${v}transformer.layers. 4`,
            pre: [`${v}ln_pre.weight`, `${v}patch_conv.weight`],
            post: [],
          },
          multi_modal_projector: {
            stack: undefined,
            pre: [
              `${mm}linear_1.weight`,
              `${mm}linear_2.weight`,
              `${mm}norm.weight`,
              `${mm}patch_merger.merging_layer.weight`,
            ],
            post: [],
          },
        },
      });
    });

    it(`LLaVA (${gen}): a CLIP tower, its pre_layrnorm before the layers`, () => {
      const v = `${p.root}vision_tower.vision_model.`;
      const names = [
        `${p.text}embed_tokens.weight`,
        ...layers(`${p.text}layers.`, 3, TEXT),
        `${p.text}norm.weight`,
        head,
        `${p.root}multi_modal_projector.linear_1.weight`,
        `${p.root}multi_modal_projector.linear_2.weight`,
        `${v}embeddings.class_embedding`,
        `${v}embeddings.patch_embedding.weight`,
        `${v}pre_layrnorm.weight`,
        ...layers(`${v}encoder.layers.`, 4, SIGLIP),
        `${v}post_layernorm.weight`,
      ];
      // llava-1.5's text_config leaves num_hidden_layers to its default.
      const { main, modules } = modulesOf(names, {
        text_config: {},
        vision_config: { num_hidden_layers: 4 },
      });
      expect(main).toBe(`${p.text}layers.`);
      expect(Object.keys(modules)).toEqual(['text_decoder', 'vision_tower', 'multi_modal_projector']);
      expect(modules['vision_tower']!.pre).toEqual([
        `${v}embeddings.class_embedding`,
        `${v}embeddings.patch_embedding.weight`,
        `${v}pre_layrnorm.weight`,
      ]);
      expect(modules['vision_tower']!.post).toEqual([`${v}post_layernorm.weight`]);
      expect(modules['text_decoder']!.post).toContain(head);
    });
  }

  for (const [gen, t, v] of [
    ['transformers < 4.52', 'model.', 'visual.'],
    ['transformers ≥ 4.52', 'model.language_model.', 'model.visual.'],
  ] as const) {
    it(`Qwen2-VL / Qwen2.5-VL (${gen}): the merger is the projector, the blocks the tower`, () => {
      const names = [
        `${t}embed_tokens.weight`,
        ...layers(`${t}layers.`, 3, TEXT),
        `${t}norm.weight`,
        'lm_head.weight',
        `${v}patch_embed.proj.weight`,
        ...layers(`${v}blocks.`, 4, ['norm1.weight', 'attn.qkv.weight', 'mlp.gate_proj.weight']),
        `${v}merger.ln_q.weight`,
        `${v}merger.mlp.0.weight`,
        `${v}merger.mlp.2.weight`,
      ];
      expect(modulesOf(names, { num_hidden_layers: 3, vision_config: { depth: 4 } })).toEqual({
        main: `${t}layers.`,
        modules: {
          text_decoder: {
            stack: `${t}layers. 3`,
            pre: [`${t}embed_tokens.weight`],
            post: ['lm_head.weight', `${t}norm.weight`],
          },
          vision_tower: { stack: `${v}blocks. 4`, pre: [`${v}patch_embed.proj.weight`], post: [] },
          multi_modal_projector: {
            stack: undefined,
            pre: [`${v}merger.ln_q.weight`, `${v}merger.mlp.0.weight`, `${v}merger.mlp.2.weight`],
            post: [],
          },
        },
      });
    });
  }

  it('Qwen3-VL: the deepstack mergers are the projector’s layers, the merger its weights before them', () => {
    const t = 'model.language_model.';
    const names = [
      `${t}embed_tokens.weight`,
      ...layers(`${t}layers.`, 3, [...TEXT, 'mlp.experts.gate_up_proj', 'mlp.gate.weight']),
      `${t}norm.weight`,
      'lm_head.weight',
      'model.visual.patch_embed.proj.weight',
      'model.visual.pos_embed.weight',
      ...layers('model.visual.blocks.', 4, ['norm1.weight', 'attn.qkv.weight']),
      ...layers('model.visual.deepstack_merger_list.', 2, ['norm.weight', 'linear_fc1.weight']),
      'model.visual.merger.norm.weight',
      'model.visual.merger.linear_fc1.weight',
    ];
    const config = { text_config: { num_hidden_layers: 3 }, vision_config: { depth: 4 } };
    expect(modulesOf(names, config).modules).toEqual({
      text_decoder: {
        stack: `${t}layers. 3`,
        pre: [`${t}embed_tokens.weight`],
        post: ['lm_head.weight', `${t}norm.weight`],
      },
      vision_tower: {
        stack: 'model.visual.blocks. 4',
        pre: ['model.visual.patch_embed.proj.weight', 'model.visual.pos_embed.weight'],
        post: [],
      },
      multi_modal_projector: {
        stack: 'model.visual.deepstack_merger_list. 2',
        pre: ['model.visual.merger.linear_fc1.weight', 'model.visual.merger.norm.weight'],
        post: [],
      },
    });
  });

  it('Llama 4: vision_model (mergekit’s name, an alias of vision_tower), layernorm_pre before its layers', () => {
    const names = [
      'language_model.model.embed_tokens.weight',
      ...layers('language_model.model.layers.', 3, [...TEXT, 'feed_forward.router.weight']),
      'language_model.model.norm.weight',
      'language_model.lm_head.weight',
      'multi_modal_projector.linear_1.weight',
      'vision_model.class_embedding',
      'vision_model.positional_embedding_vlm',
      'vision_model.patch_embedding.linear.weight',
      'vision_model.layernorm_pre.weight',
      'vision_model.layernorm_post.weight',
      ...layers('vision_model.model.layers.', 4, ['input_layernorm.weight', 'mlp.fc1.weight']),
      'vision_model.vision_adapter.mlp.fc1.weight',
    ];
    const arch = inferArchitecture({
      id: 'm',
      config: VL_CONFIG,
      tensors: new Map(names.map((n) => [n, { dtype: 'BF16', shape: [2, 2] }])),
    });
    const modules = modelModules('m', arch);
    const vision = moduleNamed(modules, 'vision_model')!;
    expect(vision).toBe(modules.get('vision_tower'));
    expect(vision.stack?.prefix).toBe('vision_model.model.layers.');
    expect(vision.pre).toEqual([
      'vision_model.class_embedding',
      'vision_model.layernorm_pre.weight',
      'vision_model.patch_embedding.linear.weight',
      'vision_model.positional_embedding_vlm',
    ]);
    expect(vision.post).toEqual([
      'vision_model.layernorm_post.weight',
      'vision_model.vision_adapter.mlp.fc1.weight',
    ]);
    expect(modules.get('multi_modal_projector')!.pre).toEqual(['multi_modal_projector.linear_1.weight']);
    expect(modules.get('text_decoder')!.post).toEqual([
      'language_model.lm_head.weight',
      'language_model.model.norm.weight',
    ]);
  });

  it('Idefics3 / SmolVLM’s connector and InternVL’s mlp1 are projectors, not the language model’s', () => {
    const idefics = modulesOf(
      [
        'model.text_model.embed_tokens.weight',
        ...layers('model.text_model.layers.', 3, TEXT),
        'model.text_model.norm.weight',
        'lm_head.weight',
        'model.connector.modality_projection.proj.weight',
        'model.vision_model.embeddings.patch_embedding.weight',
        ...layers('model.vision_model.encoder.layers.', 4, SIGLIP),
        'model.vision_model.post_layernorm.weight',
      ],
      VL_CONFIG,
    );
    expect(idefics.modules['multi_modal_projector']).toEqual({
      stack: undefined,
      pre: ['model.connector.modality_projection.proj.weight'],
      post: [],
    });
    const internvl = modulesOf(
      [
        'language_model.model.embed_tokens.weight',
        ...layers('language_model.model.layers.', 3, TEXT),
        'language_model.lm_head.weight',
        'mlp1.0.weight',
        'mlp1.1.weight',
        'mlp1.3.weight',
        ...layers('vision_model.encoder.layers.', 4, ['attn.qkv.weight']),
      ],
      {},
    );
    expect(internvl.main).toBe('language_model.model.layers.');
    expect(internvl.modules['multi_modal_projector']!.pre).toEqual([
      'mlp1.0.weight',
      'mlp1.1.weight',
      'mlp1.3.weight',
    ]);
    expect(internvl.modules['text_decoder']!.post).toEqual(['language_model.lm_head.weight']);
  });

  it('a plain decoder is one module, default; odd names are no module', () => {
    const names = ['model.embed_tokens.weight', ...layers('model.layers.', 2, TEXT), 'model.norm.weight'];
    const arch = inferArchitecture({
      id: 'm',
      config: { num_hidden_layers: 2 },
      tensors: new Map(names.map((n) => [n, { dtype: 'BF16', shape: [2, 2] }])),
    });
    const modules = modelModules('m', arch);
    expect([...modules.keys()]).toEqual(['default']);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(moduleNamed(modules, name), name).toBeUndefined();
    }
  });
});
