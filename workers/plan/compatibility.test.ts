import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import type { DType } from '../io/dtypes.ts';
import { loadModel } from '../io/load-model.ts';
import { folderResolver } from '../io/node/fs-source.ts';
import type { ModelInfo, TensorMeta } from './architecture.ts';
import { compatibilityForRecipe, compatibilityReport, formatCompatibilityReport } from './compatibility.ts';
import { loadRecipe } from './recipe-yaml.ts';

interface Spec {
  layers?: number;
  hidden?: number;
  vocab?: number;
  dtype?: DType;
  arch?: string;
  tied?: boolean;
  drop?: string[];
}

/** A Llama-shaped tensor table: embeddings, 2 tensors per layer, norm, head. */
function llama(id: string, s: Spec = {}): ModelInfo {
  const { layers = 2, hidden = 8, vocab = 100, dtype = 'BF16', arch = 'LlamaForCausalLM' } = s;
  const t = new Map<string, TensorMeta>();
  t.set('model.embed_tokens.weight', { dtype, shape: [vocab, hidden] });
  for (let l = 0; l < layers; l++) {
    t.set(`model.layers.${l}.self_attn.q_proj.weight`, { dtype, shape: [hidden, hidden] });
    t.set(`model.layers.${l}.input_layernorm.weight`, { dtype, shape: [hidden] });
  }
  t.set('model.norm.weight', { dtype, shape: [hidden] });
  if (!s.tied) t.set('lm_head.weight', { dtype, shape: [vocab, hidden] });
  for (const d of s.drop ?? []) t.delete(d);
  return {
    id,
    config: { architectures: [arch], hidden_size: hidden, vocab_size: vocab, num_hidden_layers: layers },
    tensors: t,
  };
}

const issues = (r: ReturnType<typeof compatibilityReport>, id: string) =>
  r.models.find((m) => m.id === id)!.issues.map((i) => `${i.severity}: ${i.message}`);

/** A Llama table with a vision tower's stack too. */
const vl = (id: string): ModelInfo => {
  const m = llama(id);
  const t = new Map(m.tensors);
  for (let l = 0; l < 3; l++) t.set(`visual.blocks.${l}.attn.qkv.weight`, { dtype: 'BF16', shape: [8, 8] });
  return { ...m, tensors: t };
};

describe('compatibilityReport', () => {
  it('summarizes each model: architecture, layers, hidden, vocab, dtypes, parameters', () => {
    const r = compatibilityReport([llama('base'), llama('ft', { dtype: 'F16' })], 'base');
    expect(r.models[0]).toMatchObject({
      id: 'base',
      isBase: true,
      architecture: 'LlamaForCausalLM',
      layers: 2,
      hiddenSize: 8,
      vocabSize: 100,
      // 2 x 100 x 8 embeddings/head + 2 x (64 + 8) layers + 8 norm
      dtypes: { BF16: 1752 },
      parameters: 1752,
    });
    expect(issues(r, 'ft')).toEqual([
      'info: stored as F16, the base as BF16: every input is read as float32 for the merge, without loss',
    ]);
    expect(r.errors).toBe(0);
  });

  it('explains vocabulary differences by what the method does', () => {
    const models = [
      llama('base', { vocab: 32000 }),
      llama('big', { vocab: 32002 }),
      llama('small', { vocab: 31999 }),
    ];
    const common = compatibilityReport(models, 'base');
    expect(issues(common, 'big')).toEqual([
      "warning: vocab 32002 vs the base's 32000: embeddings will be cropped to 31999",
    ]);
    const toBase = compatibilityReport(models, 'base', { rectify: 'crop-to-base' });
    expect(issues(toBase, 'big')).toEqual([
      "warning: vocab 32002 vs the base's 32000: embeddings will be cropped to 32000",
    ]);
    expect(issues(toBase, 'small')).toEqual([
      "error: vocab 31999 vs the base's 32000: task vectors need at least the base's vocabulary; choose a base with the smaller vocabulary",
    ]);
    expect(toBase.errors).toBe(1);
    const none = compatibilityReport(models.slice(0, 2), 'base', { rectify: 'none' });
    expect(issues(none, 'big')).toEqual([
      "error: vocab 32002 vs the base's 32000: this method cannot merge embeddings of different sizes",
    ]);
  });

  it('rejects different layer counts for models: recipes, not for slices:', () => {
    const models = [llama('base', { layers: 4 }), llama('short', { layers: 2 })];
    expect(issues(compatibilityReport(models, 'base'), 'short')).toEqual([
      "error: 2 layers vs the base's 4: models: pairs layer i with layer i; use slices: with layer_range to choose the layers",
    ]);
    expect(issues(compatibilityReport(models, 'base', { slices: true }), 'short')).toEqual([
      "info: 2 layers vs the base's 4: the recipe's slices choose which layers are paired",
    ]);
  });

  it('rejects another width once, without listing every shape', () => {
    const r = compatibilityReport([llama('base'), llama('wide', { hidden: 16 })], 'base');
    expect(issues(r, 'wide')).toEqual([
      "error: hidden size 16 vs the base's 8: models of different widths cannot be merged",
    ]);
  });

  it('names missing and extra tensors, and accepts a tied head either way', () => {
    const r = compatibilityReport(
      [
        llama('base'),
        llama('holes', { drop: ['model.norm.weight', 'model.layers.1.input_layernorm.weight'] }),
      ],
      'base',
    );
    expect(issues(r, 'holes')).toEqual([
      'error: 2 tensors of the base are missing (model.layers.1.input_layernorm.weight, model.norm.weight): is it another architecture?',
    ]);
    expect(r.models[1]!.issues[0]!.tensors).toEqual([
      'model.layers.1.input_layernorm.weight',
      'model.norm.weight',
    ]);
    const tied = compatibilityReport([llama('base'), llama('tied', { tied: true })], 'base');
    expect(issues(tied, 'tied')).toEqual([
      'info: no lm_head: its head is tied to the embeddings, which are used instead',
    ]);
    expect(tied.errors).toBe(0);
    const baseTied = compatibilityReport([llama('base', { tied: true }), llama('ft')], 'base');
    expect(baseTied.errors).toBe(0);
  });

  it('names the layer stacks of a vision-language model, and says how it is merged', () => {
    const r = compatibilityReport([vl('base'), vl('ft')], 'base');
    expect(issues(r, 'ft')).toEqual([
      'info: a multi-module (vision-language) model with 2 layer stacks (model.layers. 2, visual.blocks. 3): every module is merged, each layer at its position in its own stack; slices: per module, under modules:',
    ]);
    expect(r.models[0]!.layers).toBe(2);
    expect(r.errors).toBe(0);
  });
  it('warns on another architecture name and lets the tensor check decide', () => {
    const r = compatibilityReport([llama('base'), llama('mistral', { arch: 'MistralForCausalLM' })], 'base');
    expect(issues(r, 'mistral')).toEqual([
      "warning: architecture MistralForCausalLM vs the base's LlamaForCausalLM: merging needs the same tensor names and shapes (checked below)",
    ]);
    expect(r.errors).toBe(0);
  });

  it('finds the tinymix family compatible and prints a readable report', async () => {
    const recipe = loadRecipe(`merge_method: task_arithmetic
base_model: tinymix-base
models:
  - {model: tinymix-law, parameters: {weight: 0.5}}
  - {model: tinymix-math, parameters: {weight: 0.5}}
`).recipe;
    const resolve = folderResolver(MODELS_DIR);
    const models = new Map<string, ModelInfo>();
    for (const id of ['tinymix-base', 'tinymix-law', 'tinymix-math'])
      models.set(id, await loadModel(await resolve(id)));
    const r = compatibilityForRecipe(recipe, models);
    expect(r.base).toBe('tinymix-base');
    expect(formatCompatibilityReport(r)).toBe(
      [
        'tinymix-base (base): LlamaForCausalLM, 4 layers, hidden 128, vocab 260, BF16, 0.80M params',
        'tinymix-law: LlamaForCausalLM, 4 layers, hidden 128, vocab 260, F16, 0.80M params',
        '  info: stored as F16, the base as BF16: every input is read as float32 for the merge, without loss',
        'tinymix-math: LlamaForCausalLM, 4 layers, hidden 128, vocab 260, BF16, 0.80M params',
        'compatible',
        '',
      ].join('\n'),
    );
  });
});
