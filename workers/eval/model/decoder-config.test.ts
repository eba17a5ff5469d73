import { describe, expect, it } from 'vitest';
import { UnsupportedModelError } from '../errors.ts';
import { parseDecoderConfig, ropeFrequencies, scaleFrequencies } from './decoder-config.ts';

const TINY = {
  architectures: ['LlamaForCausalLM'],
  vocab_size: 260,
  hidden_size: 128,
  intermediate_size: 352,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  hidden_act: 'silu',
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: false,
};

const bad =
  (over: Record<string, unknown>): (() => unknown) =>
  () =>
    parseDecoderConfig({ ...TINY, ...over }, 'x');

describe('parseDecoderConfig', () => {
  it('reads the tinymix config', () => {
    const c = parseDecoderConfig(TINY, 'tiny');
    expect(c).toMatchObject({
      architecture: 'LlamaForCausalLM',
      hidden: 128,
      heads: 4,
      kvHeads: 2,
      headDim: 32,
    });
    expect(c.rmsEps).toBe(1e-5);
    expect(c.tieEmbeddings).toBe(false);
    expect(c.slidingWindow).toBeUndefined();
    // theta^(-2i/d): 1, 10000^(-1/16), ..., 16 frequencies for head_dim 32
    expect(c.invFreq).toHaveLength(16);
    expect(c.invFreq[0]).toBe(1);
    expect(c.invFreq[8]).toBeCloseTo(0.01, 12);
  });

  it('fills transformers defaults: kv heads = heads, eps 1e-6, theta 10000, head_dim from hidden', () => {
    const { num_key_value_heads: _k, rms_norm_eps: _e, rope_theta: _t, ...rest } = TINY;
    const c = parseDecoderConfig(rest, 'tiny');
    expect([c.kvHeads, c.rmsEps, c.invFreq[8]]).toEqual([4, 1e-6, ropeFrequencies(32, 10000)[8]]);
    expect(parseDecoderConfig({ ...TINY, head_dim: 64 }, 'tiny').headDim).toBe(64);
  });

  it('reads Mixtral: experts and experts per token, Mixtral’s own defaults', () => {
    const { rms_norm_eps: _e, rope_theta: _t, ...rest } = TINY;
    const m = parseDecoderConfig({ ...rest, architectures: ['MixtralForCausalLM'], num_local_experts: 3, num_experts_per_tok: 2, sliding_window: null }, 'm'); // prettier-ignore
    expect([m.architecture, m.moe, m.slidingWindow, m.rmsEps]).toEqual(['MixtralForCausalLM', { experts: 3, perToken: 2 }, undefined, 1e-5]); // prettier-ignore
    expect(m.invFreq[8]).toBe(ropeFrequencies(32, 1e6)[8]);
    const byType = parseDecoderConfig({ ...TINY, architectures: undefined, model_type: 'mixtral' }, 'm');
    expect(byType.moe).toEqual({ experts: 8, perToken: 2 });
    expect(parseDecoderConfig(TINY, 'tiny').moe).toBeUndefined();
    expect(bad({ architectures: ['MixtralForCausalLM'], num_local_experts: 2, num_experts_per_tok: 3 })).toThrow(/num_experts_per_tok 3 is more than num_local_experts 2/); // prettier-ignore
  });

  it('knows Mistral and Qwen2 by architecture or model_type, and Mistral’s sliding window', () => {
    const m = parseDecoderConfig(
      { ...TINY, architectures: ['MistralForCausalLM'], sliding_window: 4096 },
      'm',
    );
    expect([m.architecture, m.slidingWindow]).toEqual(['MistralForCausalLM', 4096]);
    const q = parseDecoderConfig(
      { ...TINY, architectures: undefined, model_type: 'qwen2', sliding_window: 4096 },
      'q',
    );
    expect([q.architecture, q.slidingWindow]).toEqual(['Qwen2ForCausalLM', undefined]);
  });

  it('refuses what the forward pass does not implement, by name', () => {
    expect(bad({ architectures: ['GPT2LMHeadModel'] })).toThrow(UnsupportedModelError);
    expect(bad({ architectures: ['GPT2LMHeadModel'] })).toThrow(
      /x is a GPT2LMHeadModel; evaluation supports LlamaForCausalLM/,
    );
    expect(bad({ hidden_act: 'gelu' })).toThrow(/hidden_act "gelu" is not supported/);
    expect(bad({ num_key_value_heads: 3 })).toThrow(/do not divide/);
    expect(bad({ rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(/rope_scaling of type "yarn"/);
    expect(bad({ architectures: ['Qwen2ForCausalLM'], use_sliding_window: true })).toThrow(/sliding/);
    expect(bad({ hidden_size: 'big' })).toThrow(/hidden_size must be a positive integer/);
  });
});

describe('parseDecoderConfig: Qwen3, Qwen3-MoE, Qwen2-MoE, DeepSeek-MoE', () => {
  const SIZES = { vocab_size: 64, hidden_size: 256, num_hidden_layers: 3 };

  it('Qwen3: Qwen3Config’s defaults (head_dim 128, 32 kv heads, eps 1e-6), q/k norm, dense layers', () => {
    const c = parseDecoderConfig({ ...SIZES, model_type: 'qwen3', num_attention_heads: 32 }, 'q');
    expect(c).toMatchObject({ architecture: 'Qwen3ForCausalLM', headDim: 128, kvHeads: 32, intermediate: 22016, rmsEps: 1e-6, qkNorm: true, tieEmbeddings: false, slidingWindow: undefined, moe: undefined }); // prettier-ignore
    expect(c.invFreq[8]).toBe(ropeFrequencies(128, 10000)[8]);
    expect(c.mlps).toEqual(Array.from({ length: 3 }, () => ({ kind: 'dense', intermediate: 22016 })));
    expect(parseDecoderConfig(TINY, 'tiny').qkNorm).toBe(false);
  });

  it('Qwen3-MoE: Qwen3MoeConfig’s defaults (no head_dim default: hidden / heads), norm_topk_prob false', () => {
    const c = parseDecoderConfig({ ...SIZES, architectures: ['Qwen3MoeForCausalLM'], num_attention_heads: 8 }, 'q'); // prettier-ignore
    expect(c).toMatchObject({ headDim: 32, kvHeads: 4, intermediate: 6144, qkNorm: true, moe: { experts: 128, perToken: 8 } }); // prettier-ignore
    expect(c.mlps[0]).toEqual({ kind: 'sparse', experts: 128, perToken: 8, intermediate: 768, renormalise: false, shared: undefined }); // prettier-ignore
    const some = parseDecoderConfig({ ...SIZES, model_type: 'qwen3_moe', num_attention_heads: 8, num_hidden_layers: 4, mlp_only_layers: [3], decoder_sparse_step: 2, norm_topk_prob: true }, 'q'); // prettier-ignore
    expect(some.mlps.map((m) => m.kind)).toEqual(['dense', 'sparse', 'dense', 'dense']);
    expect(some.mlps[1]).toMatchObject({ renormalise: true });
    const none = parseDecoderConfig({ ...SIZES, model_type: 'qwen3_moe', num_attention_heads: 8, num_experts: 0 }, 'q'); // prettier-ignore
    expect([none.mlps.every((m) => m.kind === 'dense'), none.moe]).toEqual([true, undefined]);
  });

  it('Qwen2-MoE: 60 experts, top 4, a gated shared expert of 5632, no q/k norm', () => {
    const c = parseDecoderConfig({ ...SIZES, model_type: 'qwen2_moe', num_attention_heads: 16 }, 'q');
    expect(c).toMatchObject({ architecture: 'Qwen2MoeForCausalLM', headDim: 16, kvHeads: 16, intermediate: 5632, qkNorm: false }); // prettier-ignore
    expect(c.mlps[2]).toEqual({ kind: 'sparse', experts: 60, perToken: 4, intermediate: 1408, renormalise: false, shared: { intermediate: 5632, gated: true } }); // prettier-ignore
  });

  it('DeepSeek-MoE: the remote code’s defaults; auto_map and head_dim are ignored', () => {
    const DS = { ...SIZES, architectures: ['DeepseekForCausalLM'], auto_map: { AutoConfig: 'configuration_deepseek.DeepseekConfig' }, num_attention_heads: 8, num_key_value_heads: 8, head_dim: 64 }; // prettier-ignore
    const dense = parseDecoderConfig(DS, 'd');
    expect(dense).toMatchObject({
      headDim: 32,
      kvHeads: 8,
      intermediate: 11008,
      rmsEps: 1e-6,
      moe: undefined,
    });
    const c = parseDecoderConfig({ ...DS, n_routed_experts: 4, num_experts_per_tok: 2, first_k_dense_replace: 1, moe_layer_freq: 1, norm_topk_prob: true, n_shared_experts: 2 }, 'd'); // prettier-ignore
    expect(c.mlps.map((m) => m.kind)).toEqual(['dense', 'sparse', 'sparse']);
    expect(c.mlps[1]).toEqual({ kind: 'sparse', experts: 4, perToken: 2, intermediate: 1407, renormalise: true, shared: { intermediate: 2814, gated: false } }); // prettier-ignore
    // top_k 1: the remote code renormalises only when top_k > 1.
    const top1 = parseDecoderConfig({ ...DS, n_routed_experts: 4, num_experts_per_tok: 1, norm_topk_prob: true, n_shared_experts: null }, 'd'); // prettier-ignore
    expect(top1.mlps[0]).toMatchObject({ perToken: 1, renormalise: false, shared: undefined });
  });

  it('refuses their sliding windows, other scoring functions and impossible routing', () => {
    for (const model_type of ['qwen3', 'qwen3_moe', 'qwen2_moe']) {
      expect(bad({ architectures: undefined, model_type, use_sliding_window: true })).toThrow(
        /sliding window/,
      );
      expect(bad({ architectures: undefined, model_type, layer_types: ['full_attention', 'sliding_attention', 'full_attention', 'full_attention'] })).toThrow(/sliding window/); // prettier-ignore
    }
    expect(bad({ architectures: undefined, model_type: 'qwen3', layer_types: Array(4).fill('full_attention') })).not.toThrow(); // prettier-ignore
    const ds = { architectures: ['DeepseekForCausalLM'], n_routed_experts: 4, num_experts_per_tok: 2 };
    expect(bad({ ...ds, scoring_func: 'sigmoid' })).toThrow(/scoring_func "sigmoid" is not supported/);
    expect(bad({ ...ds, num_experts_per_tok: undefined })).toThrow(/num_experts_per_tok must be a positive integer/); // prettier-ignore
    expect(bad({ ...ds, num_experts_per_tok: 5 })).toThrow(
      /num_experts_per_tok 5 is more than n_routed_experts 4/,
    );
    expect(bad({ model_type: 'qwen3_moe', architectures: undefined, num_experts: 4 })).toThrow(/num_experts_per_tok 8 is more than num_experts 4/); // prettier-ignore
    expect(bad({ model_type: 'qwen2_moe', architectures: undefined, norm_topk_prob: 'yes' })).toThrow(/norm_topk_prob must be true or false/); // prettier-ignore
    expect(bad({ model_type: 'qwen2_moe', architectures: undefined, mlp_only_layers: 'none' })).toThrow(/mlp_only_layers must be a list of integers/); // prettier-ignore
  });
});

describe('RoPE scaling', () => {
  it('linear divides every frequency by the factor', () => {
    expect([...scaleFrequencies(Float64Array.of(1, 0.5), { type: 'linear', factor: 4 }, 'x')]).toEqual([
      0.25, 0.125,
    ]);
  });

  it('llama3 keeps high frequencies, divides low ones, blends in between', () => {
    // original 8192, low 1, high 4: wavelengths under 2048 kept, over 8192 divided by 8.
    const scaling = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 }; // prettier-ignore
    const f = Float64Array.of((2 * Math.PI) / 1000, (2 * Math.PI) / 10000, (2 * Math.PI) / 4096);
    const s = scaleFrequencies(f, scaling, 'x');
    expect(s[0]).toBe(f[0]);
    expect(s[1]).toBeCloseTo(f[1]! / 8, 15);
    // wavelength 4096: smooth = (8192 / 4096 - 1) / (4 - 1) = 1/3
    expect(s[2]).toBeCloseTo((2 / 3) * (f[2]! / 8) + (1 / 3) * f[2]!, 15);
  });
});
