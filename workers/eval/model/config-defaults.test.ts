/**
 * config.json keys as transformers (or DeepSeek-MoE's remote code) reads them where a config
 * leaves them out or moves them: each family's num_key_value_heads default, transformers v5's
 * rope_parameters, DeepSeek's RoPE scaling types.
 */
import { describe, expect, it } from 'vitest';
import { parseDecoderConfig, ropeFrequencies } from './decoder-config.ts';

const SIZES = {
  vocab_size: 260,
  hidden_size: 2048,
  intermediate_size: 352,
  num_hidden_layers: 3,
  num_attention_heads: 64,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
};

describe('absent num_key_value_heads takes the config class default', () => {
  it('MistralConfig defaults to 8 kv heads', () => {
    // transformers: MistralConfig(num_key_value_heads=8).
    expect(parseDecoderConfig({ ...SIZES, architectures: ['MistralForCausalLM'] }, 'm').kvHeads).toBe(8);
  });

  it('MixtralConfig defaults to 8 kv heads', () => {
    // transformers: MixtralConfig(num_key_value_heads=8).
    expect(parseDecoderConfig({ ...SIZES, architectures: ['MixtralForCausalLM'] }, 'm').kvHeads).toBe(8);
  });

  it('Qwen2Config defaults to 32 kv heads', () => {
    // transformers: Qwen2Config(num_key_value_heads=32).
    expect(parseDecoderConfig({ ...SIZES, architectures: ['Qwen2ForCausalLM'] }, 'q').kvHeads).toBe(32);
  });

  it("DeepSeek-MoE's DeepseekConfig defaults to 32 kv heads", () => {
    // remote code (configuration_deepseek.py): DeepseekConfig(num_key_value_heads=32).
    expect(parseDecoderConfig({ ...SIZES, architectures: ['DeepseekForCausalLM'] }, 'd').kvHeads).toBe(32);
  });
});

describe('transformers v5 configs keep RoPE in rope_parameters', () => {
  it('a Qwen3 config.json saved by transformers v5 (rope_parameters, no rope_theta) runs at its theta', () => {
    const { rope_theta: _t, ...rest } = SIZES;
    const c = parseDecoderConfig(
      { ...rest, model_type: 'qwen3', head_dim: 128, num_key_value_heads: 8, rope_parameters: { rope_type: 'default', rope_theta: 1_000_000 } }, // prettier-ignore
      'q',
    );
    expect(c.invFreq[8]).toBe(ropeFrequencies(128, 1_000_000)[8]);
  });
});

describe("DeepSeek-MoE's remote code reads rope_scaling['type'] and knows linear and dynamic only", () => {
  it('a DeepseekForCausalLM with Llama 3 rope_scaling is refused (the remote code cannot load it)', () => {
    const ds = {
      ...SIZES,
      architectures: ['DeepseekForCausalLM'],
      num_key_value_heads: 8,
      rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 }, // prettier-ignore
    };
    expect(() => parseDecoderConfig(ds, 'd')).toThrow(/rope_scaling/);
  });
});

describe('an absent sliding_window takes the config class default', () => {
  it('MistralConfig: 4096 (null: none); MixtralConfig: none', () => {
    const mistral = { ...SIZES, architectures: ['MistralForCausalLM'] };
    expect(parseDecoderConfig(mistral, 'm').slidingWindow).toBe(4096);
    expect(parseDecoderConfig({ ...mistral, sliding_window: null }, 'm').slidingWindow).toBeUndefined();
    const mixtral = {
      ...SIZES,
      architectures: ['MixtralForCausalLM'],
      num_local_experts: 2,
      num_experts_per_tok: 1,
    };
    expect(parseDecoderConfig(mixtral, 'x').slidingWindow).toBeUndefined();
  });
});
