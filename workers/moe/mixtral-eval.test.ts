/**
 * The built MoE through the evaluation's forward pass (workers/eval, Mixtral support): a MoE whose
 * experts are all the base's MLP is the base model again, and a MoE of three different experts
 * matches a plain float64 Mixtral forward pass written out below, token routing included.
 */
import { describe, expect, it } from 'vitest';
import { evaluateTexts, createEvaluator, tokenizeTexts } from '../eval/evaluate.ts';
import { Decoder } from '../eval/model/decoder.ts';
import { readModelWeights, type ModelWeights } from '../eval/model/weights.ts';
import { evalText, REFERENCE_LOGITS, REFERENCE_LOSSES, tinymix } from '../eval/test-helpers.ts';
import { buildInMemory, TINYMIX_MOE } from './test-helpers.ts';

const SAME = `base_model: tinymix-base
gate_mode: cheap_embed
dtype: float32
experts:
  - source_model: tinymix-base
    positive_prompts: ["def f(x):"]
  - source_model: tinymix-base
    positive_prompts: ["12+30=42"]
  - source_model: tinymix-base
    positive_prompts: ["The court held"]
  - source_model: tinymix-base
    positive_prompts: ["A fortune"]
`;

async function moeWeights(text: string, allowAllSame = false): Promise<ModelWeights> {
  const moe = await buildInMemory(text, { allowAllSame });
  return readModelWeights(moe.out);
}

function lastLogits(d: Decoder, ids: readonly number[]): Float32Array {
  const hidden = d.forward(ids, 1, ids.length);
  return d.logits(hidden.subarray((ids.length - 1) * d.config.hidden), 1).slice();
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));

/** W x for a row-major [rows, x.length] matrix, in float64. */
const matvec = (W: Float32Array, x: Float64Array, rows: number): Float64Array =>
  Float64Array.from({ length: rows }, (_, r) => x.reduce((s, v, j) => s + W[r * x.length + j]! * v, 0));

/** A float64 Mixtral forward pass, one token at a time: the last position's logits. */
function referenceLogits(m: ModelWeights, ids: readonly number[], seen: Set<string>): Float64Array {
  const c = m.config as Record<string, number>;
  const [H, nh, nkv, I, E, K] = [c['hidden_size']!, c['num_attention_heads']!, c['num_key_value_heads']!, c['intermediate_size']!, c['num_local_experts']!, c['num_experts_per_tok']!]; // prettier-ignore
  const hd = H / nh;
  const w = (n: string): Float32Array => m.weights.get(n)!.data;
  const norm = (x: Float64Array, g: Float32Array): Float64Array => {
    const inv = 1 / Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + c['rms_norm_eps']!);
    return x.map((v, j) => v * inv * g[j]!);
  };
  const rope = (v: Float64Array, heads: number, pos: number): void => {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < hd / 2; i++) {
        const a = pos * c['rope_theta']! ** ((-2 * i) / hd);
        const [x1, x2] = [v[h * hd + i]!, v[h * hd + i + hd / 2]!];
        v[h * hd + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
        v[h * hd + i + hd / 2] = x2 * Math.cos(a) + x1 * Math.sin(a);
      }
    }
  };
  const xs = ids.map((id) => Float64Array.from(w('model.embed_tokens.weight').subarray(id * H, id * H + H)));
  for (let l = 0; l < c['num_hidden_layers']!; l++) {
    const p = `model.layers.${l}.`;
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    const qs = xs.map((x, t) => {
      const xn = norm(x, w(`${p}input_layernorm.weight`));
      const [q, k] = [matvec(w(`${p}self_attn.q_proj.weight`), xn, nh * hd), matvec(w(`${p}self_attn.k_proj.weight`), xn, nkv * hd)]; // prettier-ignore
      rope(q, nh, t);
      rope(k, nkv, t);
      ks.push(k);
      vs.push(matvec(w(`${p}self_attn.v_proj.weight`), xn, nkv * hd));
      return q;
    });
    for (const [t, x] of xs.entries()) {
      const att = new Float64Array(nh * hd);
      for (let h = 0; h < nh; h++) {
        const g = Math.floor(h / (nh / nkv)) * hd;
        const s = ks.slice(0, t + 1).map((k) => qs[t]!.subarray(h * hd, h * hd + hd).reduce((a, q, i) => a + q * k[g + i]!, 0) / Math.sqrt(hd)); // prettier-ignore
        const mx = Math.max(...s);
        const e = s.map((v) => Math.exp(v - mx));
        const z = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < hd; i++)
          att[h * hd + i] = e.reduce((a, pe, j) => a + (pe / z) * vs[j]![g + i]!, 0);
      }
      matvec(w(`${p}self_attn.o_proj.weight`), att, H).forEach((v, j) => (x[j]! += v));
      const xn = norm(x, w(`${p}post_attention_layernorm.weight`));
      const logits = matvec(w(`${p}block_sparse_moe.gate.weight`), xn, E);
      const top = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, K);
      seen.add(top.join(','));
      const z = top.reduce((s, e) => s + Math.exp(logits[e]! - logits[top[0]!]!), 0);
      for (const e of top) {
        const x1 = `${p}block_sparse_moe.experts.${e}.`;
        const g1 = matvec(w(`${x1}w1.weight`), xn, I);
        const u = matvec(w(`${x1}w3.weight`), xn, I);
        const y = matvec(
          w(`${x1}w2.weight`),
          g1.map((g, i) => (g / (1 + Math.exp(-g))) * u[i]!),
          H,
        );
        const weight = Math.exp(logits[e]! - logits[top[0]!]!) / z;
        y.forEach((v, j) => (x[j]! += weight * v));
      }
    }
  }
  const last = norm(xs[xs.length - 1]!, w('model.norm.weight'));
  return matvec(w('lm_head.weight'), last, c['vocab_size']!);
}

describe('evaluating a built Mixtral MoE', () => {
  it('of four copies of the base MLP: the base model again (logits and loss)', async () => {
    const moe = await moeWeights(SAME, true);
    const ids = REFERENCE_LOGITS.base.input_ids;
    const d = Decoder.create(moe, { maxRows: 64, context: 64 });
    expect(d.config.moe).toEqual({ experts: 4, perToken: 2 });
    expect(maxDiff(lastLogits(d, ids), REFERENCE_LOGITS.base.last_logits)).toBeLessThan(1e-4);
    const { tokenizer } = await tinymix('base');
    const texts = tokenizeTexts(tokenizer, [{ name: 'code', text: evalText('code') }]);
    const [moeLoss] = await evaluateTexts(createEvaluator(moe), texts, { windows: 8 });
    const [baseLoss] = await evaluateTexts(createEvaluator((await tinymix('base')).weights), texts, {
      windows: 8,
    });
    expect(Math.abs(moeLoss!.loss - baseLoss!.loss)).toBeLessThan(1e-5);
    expect(REFERENCE_LOSSES.base.code).toBeGreaterThan(0); // the fixture the base loss is checked against elsewhere
  });

  it('of three different experts: a float64 Mixtral forward pass, routing included', async () => {
    const moe = await moeWeights(TINYMIX_MOE.replace('gate_mode:', 'dtype: float32\ngate_mode:'));
    const ids = REFERENCE_LOGITS.base.input_ids;
    const seen = new Set<string>();
    const want = referenceLogits(moe, ids, seen);
    expect(seen.size).toBeGreaterThan(1); // tokens went to different pairs of experts
    for (const backend of ['auto', 'js'] as const) {
      const d = Decoder.create(moe, { maxRows: 64, context: 64, backend });
      expect(maxDiff(lastLogits(d, ids), want), backend).toBeLessThan(1e-3);
    }
    // Through the KV cache, one token at a time: the same.
    const d = Decoder.create(moe, { maxRows: 1, context: 64, cache: true });
    let hidden: Float32Array = new Float32Array();
    for (const id of ids) hidden = d.forward([id], 1, 1);
    expect(maxDiff(d.logits(hidden, 1), want)).toBeLessThan(1e-3);
  });
});
