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
