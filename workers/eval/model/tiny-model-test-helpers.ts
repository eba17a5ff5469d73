/**
 * Tiny random decoders of each family, built in memory from a config.json and a seed, for the
 * forward pass's tests: every tensor the family's transformers (or remote) code has, with
 * seeded values. Which layers are sparse is written out here from the model code, on purpose
 * apart from ./layer-mlps.ts, so that the tests check one reading against the other.
 */
import type { ModelWeights, WeightTensor } from './weights.ts';

export type Config = Readonly<Record<string, unknown>>;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const n = (c: Config, k: string): number => c[k] as number;

export function headDimOf(c: Config): number {
  return (c['head_dim'] as number | undefined) ?? n(c, 'hidden_size') / n(c, 'num_attention_heads');
}

/** Whether layer l is a sparse MoE block, as each family's modeling code decides. */
export function isSparseLayer(c: Config, l: number): boolean {
  switch (c['model_type']) {
    case 'qwen2_moe':
    case 'qwen3_moe': {
      const only = (c['mlp_only_layers'] as number[] | undefined) ?? [];
      return !only.includes(l) && n(c, 'num_experts') > 0 && (l + 1) % n(c, 'decoder_sparse_step') === 0;
    }
    case 'deepseek':
      return (
        c['n_routed_experts'] !== null &&
        l >= n(c, 'first_k_dense_replace') &&
        l % n(c, 'moe_layer_freq') === 0
      );
    default:
      return false;
  }
}

export const hasQkNorm = (c: Config): boolean =>
  c['model_type'] === 'qwen3' || c['model_type'] === 'qwen3_moe';

/** The expert count of a sparse layer. */
export const expertsOf = (c: Config): number =>
  c['model_type'] === 'deepseek' ? n(c, 'n_routed_experts') : n(c, 'num_experts');

/**
 * A random model of config `c`. `fused`: the Qwen MoEs' experts as transformers v5 stores them
 * (mlp.experts.gate_up_proj, mlp.experts.down_proj), from the same numbers.
 */
export function tinyModel(id: string, c: Config, seed: number, fused = false): ModelWeights {
  const rand = prng(seed);
  const weights = new Map<string, WeightTensor>();
  const put = (name: string, shape: number[], scale: number, offset = 0): WeightTensor => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = { shape, data: Float32Array.from({ length: size }, () => offset + (rand() * 2 - 1) * scale) };
    weights.set(name, t);
    return t;
  };
  const [H, V, hd] = [n(c, 'hidden_size'), n(c, 'vocab_size'), headDimOf(c)];
  const [q, kv] = [n(c, 'num_attention_heads') * hd, n(c, 'num_key_value_heads') * hd];
  const type = c['model_type'];
  const qkvBias = type === 'qwen2_moe' || c['attention_bias'] === true;
  const oBias = type !== 'qwen2_moe' && c['attention_bias'] === true;
  const mlp = (p: string, i: number): void => {
    put(`${p}.gate_proj.weight`, [i, H], 1 / Math.sqrt(H));
    put(`${p}.up_proj.weight`, [i, H], 1 / Math.sqrt(H));
    put(`${p}.down_proj.weight`, [H, i], 1 / Math.sqrt(i));
  };
  put('model.embed_tokens.weight', [V, H], 1);
  for (let l = 0; l < n(c, 'num_hidden_layers'); l++) {
    const p = `model.layers.${l}.`;
    put(`${p}input_layernorm.weight`, [H], 0.2, 1);
    put(`${p}post_attention_layernorm.weight`, [H], 0.2, 1);
    for (const [name, rows] of [
      ['q', q],
      ['k', kv],
      ['v', kv],
    ] as const) {
      put(`${p}self_attn.${name}_proj.weight`, [rows, H], 1 / Math.sqrt(H));
      if (qkvBias) put(`${p}self_attn.${name}_proj.bias`, [rows], 0.3);
    }
    put(`${p}self_attn.o_proj.weight`, [H, q], 1 / Math.sqrt(q));
    if (oBias) put(`${p}self_attn.o_proj.bias`, [H], 0.3);
    if (hasQkNorm(c)) {
      put(`${p}self_attn.q_norm.weight`, [hd], 0.5, 1);
      put(`${p}self_attn.k_norm.weight`, [hd], 0.5, 1);
    }
    if (!isSparseLayer(c, l)) {
      mlp(`${p}mlp`, n(c, 'intermediate_size'));
      continue;
    }
    const E = expertsOf(c);
    const I = n(c, 'moe_intermediate_size');
    // A wide router spreads the tokens over the experts.
    put(`${p}mlp.gate.weight`, [E, H], 3 / Math.sqrt(H));
    for (let e = 0; e < E; e++) mlp(`${p}mlp.experts.${e}`, I);
    if (type === 'qwen2_moe') {
      mlp(`${p}mlp.shared_expert`, n(c, 'shared_expert_intermediate_size'));
      put(`${p}mlp.shared_expert_gate.weight`, [1, H], 2 / Math.sqrt(H));
    }
    if (type === 'deepseek' && c['n_shared_experts'] !== null) {
      mlp(`${p}mlp.shared_experts`, I * n(c, 'n_shared_experts'));
    }
    if (fused) fuseExperts(weights, `${p}mlp.experts`, E, I, H);
  }
  put('model.norm.weight', [H], 0.2, 1);
  put('lm_head.weight', [V, H], 1 / Math.sqrt(H));
  return { id, config: c, weights };
}

/** Replaces experts.e.{gate,up,down}_proj by v5's gate_up_proj [E, 2I, H] and down_proj [E, H, I]. */
function fuseExperts(w: Map<string, WeightTensor>, p: string, E: number, I: number, H: number): void {
  const gateUp = new Float32Array(E * 2 * I * H);
  const down = new Float32Array(E * H * I);
  for (let e = 0; e < E; e++) {
    const take = (s: string): Float32Array => {
      const t = w.get(`${p}.${e}.${s}.weight`)!;
      w.delete(`${p}.${e}.${s}.weight`);
      return t.data;
    };
    gateUp.set(take('gate_proj'), e * 2 * I * H);
    gateUp.set(take('up_proj'), e * 2 * I * H + I * H);
    down.set(take('down_proj'), e * H * I);
  }
  w.set(`${p}.gate_up_proj`, { shape: [E, 2 * I, H], data: gateUp });
  w.set(`${p}.down_proj`, { shape: [E, H, I], data: down });
}
