/**
 * Qwen3, Qwen3-MoE, Qwen2-MoE and DeepSeek-MoE through the Decoder: tiny random models of each
 * against a float64 forward pass written out from the models' own code
 * (./reference-forward-test-helpers.ts), with each family's layer kinds, routing weights and
 * shared experts; each rule is also shown to matter (the reference with the rule broken differs).
 */
import { describe, expect, it } from 'vitest';
import { EvalInputError, UnsupportedModelError } from '../errors.ts';
import { createEvaluator, evaluateTexts } from '../evaluate.ts';
import { variant } from '../test-helpers.ts';
import { Decoder } from './decoder.ts';
import { referenceLogits, type ReferenceOptions } from './reference-forward-test-helpers.ts';
import { tinyModel, type Config } from './tiny-model-test-helpers.ts';
import type { ModelWeights } from './weights.ts';

const IDS = [3, 17, 29, 5, 38, 11, 0, 22, 9, 31, 14, 26, 7, 35];

const BASE = { vocab_size: 40, hidden_size: 32, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2, hidden_act: 'silu', rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false }; // prettier-ignore
// head_dim 16: q is 64 wide while hidden is 32, as in Qwen3 models (head_dim is not hidden / heads).
const QWEN3: Config = { ...BASE, architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', head_dim: 16, intermediate_size: 48, attention_bias: false, use_sliding_window: false }; // prettier-ignore
const QWEN3_MOE: Config = { ...QWEN3, architectures: ['Qwen3MoeForCausalLM'], model_type: 'qwen3_moe', num_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 12, norm_topk_prob: false, decoder_sparse_step: 1, mlp_only_layers: [1] }; // prettier-ignore
const QWEN2_MOE: Config = { ...BASE, architectures: ['Qwen2MoeForCausalLM'], model_type: 'qwen2_moe', num_hidden_layers: 4, intermediate_size: 48, num_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 12, shared_expert_intermediate_size: 20, norm_topk_prob: false, decoder_sparse_step: 2, mlp_only_layers: [], use_sliding_window: false }; // prettier-ignore
const DEEPSEEK: Config = { ...BASE, architectures: ['DeepseekForCausalLM'], model_type: 'deepseek', auto_map: { AutoConfig: 'configuration_deepseek.DeepseekConfig', AutoModelForCausalLM: 'modeling_deepseek.DeepseekForCausalLM' }, intermediate_size: 48, n_routed_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 12, n_shared_experts: 1, first_k_dense_replace: 1, moe_layer_freq: 1, norm_topk_prob: true, scoring_func: 'softmax', attention_bias: false }; // prettier-ignore

function lastLogits(d: Decoder, ids: readonly number[]): Float32Array {
  const hidden = d.forward(ids, 1, ids.length);
  return d.logits(hidden.subarray((ids.length - 1) * d.config.hidden), 1).slice();
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));

const decoder = (m: ModelWeights, backend: 'auto' | 'js' = 'auto'): Decoder =>
  Decoder.create(m, { maxRows: 32, context: 32, backend });

/**
 * The decoder's last logits (WebAssembly and plain-JS kernels) against the reference; returns
 * the reference and how many different expert choices the tokens made.
 */
function expectReference(m: ModelWeights): { want: Float64Array; routes: number } {
  const seen = new Set<string>();
  const want = referenceLogits(m, IDS, { seen });
  for (const backend of ['auto', 'js'] as const) {
    expect(maxDiff(lastLogits(decoder(m, backend), IDS), want), backend).toBeLessThan(1e-4);
  }
  return { want, routes: seen.size };
}

/**
 * The reference with one rule broken is far (ten times the tolerance) from the right one: the
 * test tells them apart.
 */
function expectWrongDiffers(
  m: ModelWeights,
  want: Float64Array,
  wrong: NonNullable<ReferenceOptions['wrong']>,
): void {
  expect(maxDiff(referenceLogits(m, IDS, { wrong }), want)).toBeGreaterThan(1e-3);
}

describe('Qwen3', () => {
  it('normalises each query and key head (q_norm, k_norm) before RoPE', () => {
    const m = tinyModel('qwen3', QWEN3, 1);
    const d = decoder(m);
    expect([d.config.qkNorm, d.config.headDim, d.config.moe]).toEqual([true, 16, undefined]);
    const { want } = expectReference(m);
    expectWrongDiffers(m, want, { qkNormAfterRope: true });
  });

  it('adds q/k/v/o biases with attention_bias', () => {
    expectReference(tinyModel('qwen3 biased', { ...QWEN3, attention_bias: true }, 2));
  });
});

describe('Qwen3-MoE', () => {
  it('weighs the top k by their softmax probability (norm_topk_prob false); mlp_only_layers stay dense', () => {
    const m = tinyModel('qwen3-moe', QWEN3_MOE, 3);
    expect(decoder(m).config.mlps.map((x) => x.kind)).toEqual(['sparse', 'dense', 'sparse']);
    const { want, routes } = expectReference(m);
    expect(routes).toBeGreaterThan(3); // tokens went to different pairs of experts
    expectWrongDiffers(m, want, { renormalise: true });
  });

  it('renormalises the top k with norm_topk_prob; decoder_sparse_step 2 makes layer 0 dense', () => {
    const m = tinyModel('qwen3-moe norm', { ...QWEN3_MOE, norm_topk_prob: true, mlp_only_layers: [], decoder_sparse_step: 2 }, 4); // prettier-ignore
    expect(decoder(m).config.mlps.map((x) => x.kind)).toEqual(['dense', 'sparse', 'dense']);
    const { want } = expectReference(m);
    expectWrongDiffers(m, want, { renormalise: false });
  });

  it("reads transformers v5's fused expert tensors as the per-expert ones", () => {
    const split = tinyModel('qwen3-moe', QWEN3_MOE, 3);
    const fused = tinyModel('qwen3-moe fused', QWEN3_MOE, 3, true);
    expect(fused.weights.has('model.layers.0.mlp.experts.gate_up_proj')).toBe(true);
    expect(fused.weights.has('model.layers.0.mlp.experts.0.up_proj.weight')).toBe(false);
    expect(maxDiff(lastLogits(decoder(fused), IDS), lastLogits(decoder(split), IDS))).toBe(0);
    // Both forms in one layer: the per-expert tensors are left over, and refused.
    const both = variant(fused, { set: { 'model.layers.0.mlp.experts.1.up_proj.weight': split.weights.get('model.layers.0.mlp.experts.1.up_proj.weight')! } }); // prettier-ignore
    expect(() => decoder(both)).toThrow(/does not use \(model.layers.0.mlp.experts.1.up_proj.weight\)/);
  });
});

describe('Qwen2-MoE', () => {
  it('adds q/k/v biases and a shared expert scaled by sigmoid(shared_expert_gate · x)', () => {
    const m = tinyModel('qwen2-moe', QWEN2_MOE, 5);
    expect(decoder(m).config.mlps.map((x) => x.kind)).toEqual(['dense', 'sparse', 'dense', 'sparse']);
    const { want, routes } = expectReference(m);
    expect(routes).toBeGreaterThan(3);
    expectWrongDiffers(m, want, { ungatedShared: true });
    expectWrongDiffers(m, want, { renormalise: true });
  });

  it('renormalises with norm_topk_prob; mlp_only_layers overrides decoder_sparse_step', () => {
    const m = tinyModel('qwen2-moe norm', { ...QWEN2_MOE, norm_topk_prob: true, decoder_sparse_step: 1, mlp_only_layers: [0, 2] }, 6); // prettier-ignore
    expect(decoder(m).config.mlps.map((x) => x.kind)).toEqual(['dense', 'sparse', 'dense', 'sparse']);
    const { want } = expectReference(m);
    expectWrongDiffers(m, want, { renormalise: false });
  });
});

describe('DeepSeek-MoE (v1 remote code)', () => {
  it('keeps the first_k_dense_replace layers dense, adds the ungated shared experts, renormalises', () => {
    const m = tinyModel('deepseek', DEEPSEEK, 7);
    const d = decoder(m);
    expect(d.config.mlps.map((x) => x.kind)).toEqual(['dense', 'sparse', 'sparse']);
    expect(d.config.mlps[1]).toMatchObject({ renormalise: true, shared: { intermediate: 12, gated: false } });
    const { want, routes } = expectReference(m);
    expect(routes).toBeGreaterThan(3);
    expectWrongDiffers(m, want, { renormalise: false });
  });

  it('without shared experts (n_shared_experts null), probabilities as weights', () => {
    const config = { ...DEEPSEEK, n_shared_experts: null, norm_topk_prob: false, moe_layer_freq: 2, first_k_dense_replace: 0 }; // prettier-ignore
    const m = tinyModel('deepseek no shared', config, 8);
    const d = decoder(m);
    expect(d.config.mlps.map((x) => x.kind)).toEqual(['sparse', 'dense', 'sparse']);
    expect(d.config.mlps[0]).toMatchObject({ shared: undefined });
    const { want } = expectReference(m);
    expectWrongDiffers(m, want, { renormalise: true });
  });

  it('with top_k 1 and norm_topk_prob, the weight is the softmax probability, not 1', () => {
    const m = tinyModel('deepseek top-1', { ...DEEPSEEK, num_experts_per_tok: 1 }, 9);
    expect(decoder(m).config.mlps[1]).toMatchObject({ perToken: 1, renormalise: false });
    const { want } = expectReference(m);
    expectWrongDiffers(m, want, { renormalise: true });
  });
});

/** The loss evaluateTexts computes, from the reference: windows of `w` tokens predicting the next. */
function referenceLoss(m: ModelWeights, ids: readonly number[], w: number): number {
  let sum = 0;
  let n = 0;
  for (let start = 0; start + w < ids.length; start += w) {
    for (let t = 1; t <= w; t++) {
      const logits = referenceLogits(m, ids.slice(start, start + t));
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((a, v) => a + Math.exp(v - max), 0));
      sum += lse - logits[ids[start + t]!]!;
      n++;
    }
  }
  return sum / n;
}

describe('the four families through the KV cache, evaluateTexts and setWeights', () => {
  const FAMILIES = { QWEN3, QWEN3_MOE, QWEN2_MOE, DEEPSEEK };

  for (const [name, config] of Object.entries(FAMILIES)) {
    it(`${name}: one token at a time through the KV cache gives the reference logits`, () => {
      const m = tinyModel(name, config, 11);
      const d = Decoder.create(m, { maxRows: 4, context: 32, cache: true });
      let hidden: Float32Array = new Float32Array();
      for (const id of IDS) hidden = d.forward([id], 1, 1);
      expect(maxDiff(d.logits(hidden, 1), referenceLogits(m, IDS))).toBeLessThan(1e-4);
    });

    it(`${name}: evaluateTexts gives the reference loss (windows of 6 tokens, 2 per batch)`, async () => {
      const m = tinyModel(name, config, 12);
      const ids = [...IDS, ...IDS.slice(3, 14).reverse()]; // 25 tokens: 4 windows
      const evaluator = createEvaluator(m, { windowTokens: 6, batchWindows: 2 });
      const [r] = await evaluateTexts(evaluator, [{ name: 'ids', ids: Int32Array.from(ids) }], {
        windowTokens: 6,
      });
      expect(r!.windows).toBe(4);
      expect(Math.abs(r!.loss - referenceLoss(m, ids, 6))).toBeLessThan(1e-5);
    });
  }

  it('setWeights takes a model of the same family and layers; accepts refuses other layer kinds or routing', () => {
    const d = decoder(tinyModel('a', QWEN3_MOE, 12));
    const b = tinyModel('b', QWEN3_MOE, 13);
    expect(d.accepts(b)).toBe(true);
    d.setWeights(b);
    expect(maxDiff(lastLogits(d, IDS), referenceLogits(b, IDS))).toBeLessThan(1e-4);
    const others = [
      tinyModel('other dense layer', { ...QWEN3_MOE, mlp_only_layers: [0] }, 14),
      tinyModel('all sparse', { ...QWEN3_MOE, mlp_only_layers: [] }, 14),
      tinyModel('renormalised', { ...QWEN3_MOE, norm_topk_prob: true }, 14),
      tinyModel('three experts', { ...QWEN3_MOE, num_experts: 3 }, 14),
    ];
    for (const o of others) {
      expect(d.accepts(o), o.id).toBe(false);
      expect(() => d.setWeights(o)).toThrow(EvalInputError);
    }
    // Same shapes, another family: DeepSeek's layers [dense, sparse, sparse] are not Qwen3-MoE's.
    const deepseek = tinyModel('deepseek', DEEPSEEK, 15);
    expect(decoder(deepseek).accepts(tinyModel('shared null', { ...DEEPSEEK, n_shared_experts: null }, 15))).toBe(false); // prettier-ignore
    expect(d.accepts(tinyModel('qwen3', QWEN3, 16))).toBe(false);
  });

  it("refuses another family's tensors and missing ones, by name", () => {
    const qwen2 = tinyModel('qwen2-moe', QWEN2_MOE, 17);
    const qNorm = { shape: [8], data: new Float32Array(8) };
    expect(() =>
      decoder(variant(qwen2, { set: { 'model.layers.0.self_attn.q_norm.weight': qNorm } })),
    ).toThrow(UnsupportedModelError);
    expect(() =>
      decoder(variant(qwen2, { remove: ['model.layers.1.mlp.shared_expert_gate.weight'] })),
    ).toThrow(/has no tensor model.layers.1.mlp.shared_expert_gate.weight/);
    const qwen3 = tinyModel('qwen3', QWEN3, 18);
    expect(() => decoder(variant(qwen3, { remove: ['model.layers.2.self_attn.k_norm.weight'] }))).toThrow(
      /has no tensor model.layers.2.self_attn.k_norm.weight/,
    );
    // A Qwen3-MoE checkpoint labelled Qwen3: its experts are left over.
    const moe = tinyModel('qwen3-moe', QWEN3_MOE, 19);
    expect(() => decoder(variant(moe, { config: { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3' } }))).toThrow(/has no tensor model.layers.0.mlp.gate_proj.weight, which a Qwen3ForCausalLM needs/); // prettier-ignore
  });
});
