/**
 * A plain float64 forward pass of the Llama family with the Qwen3 and MoE variations, one token
 * at a time, written out from the transformers (and DeepSeek-MoE remote) code rather than from
 * the decoder's: the last position's logits, to check the decoder against. `wrong` switches one
 * rule to a plausible mistake, so that a test can show its model tells the two apart.
 */
import { expertsOf, hasQkNorm, headDimOf, isSparseLayer, type Config } from './tiny-model-test-helpers.ts';
import type { ModelWeights } from './weights.ts';

export interface ReferenceOptions {
  /** Each token's chosen experts, per sparse layer, as "l:e1,e2". */
  readonly seen?: Set<string>;
  readonly wrong?: {
    /** Renormalise the chosen experts' weights always (true) or never (false). */
    readonly renormalise?: boolean;
    /** Apply q_norm / k_norm after RoPE instead of before. */
    readonly qkNormAfterRope?: boolean;
    /** Add the shared expert without its sigmoid gate. */
    readonly ungatedShared?: boolean;
  };
}

/** W x (+ b) for a row-major [rows, x.length] matrix. */
function matvec(W: Float32Array, x: Float64Array, rows: number, b?: Float32Array): Float64Array {
  return Float64Array.from({ length: rows }, (_, r) =>
    x.reduce((s, v, j) => s + W[r * x.length + j]! * v, b ? b[r]! : 0),
  );
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

export function referenceLogits(
  m: ModelWeights,
  ids: readonly number[],
  o: ReferenceOptions = {},
): Float64Array {
  const c: Config = m.config;
  const num = (k: string): number => c[k] as number;
  const [H, nh, nkv, hd, eps] = [num('hidden_size'), num('num_attention_heads'), num('num_key_value_heads'), headDimOf(c), num('rms_norm_eps')]; // prettier-ignore
  const w = (name: string): Float32Array => m.weights.get(name)!.data;
  const maybe = (name: string): Float32Array | undefined => m.weights.get(name)?.data;
  const norm = (x: Float64Array, g: Float32Array): Float64Array => {
    const inv = 1 / Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + eps);
    return x.map((v, j) => v * inv * g[j]!);
  };
  const headNorm = (v: Float64Array, heads: number, g: Float32Array): void => {
    for (let h = 0; h < heads; h++) v.set(norm(v.subarray(h * hd, h * hd + hd), g), h * hd);
  };
  const rope = (v: Float64Array, heads: number, pos: number): void => {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < hd / 2; i++) {
        const a = pos * num('rope_theta') ** ((-2 * i) / hd);
        const [x1, x2] = [v[h * hd + i]!, v[h * hd + i + hd / 2]!];
        v[h * hd + i] = x1 * Math.cos(a) - x2 * Math.sin(a);
        v[h * hd + i + hd / 2] = x2 * Math.cos(a) + x1 * Math.sin(a);
      }
    }
  };
  const mlp = (p: string, x: Float64Array): Float64Array => {
    const gate = w(`${p}.gate_proj.weight`);
    const i = gate.length / H;
    const g = matvec(gate, x, i);
    const u = matvec(w(`${p}.up_proj.weight`), x, i);
    return matvec(
      w(`${p}.down_proj.weight`),
      g.map((v, j) => (v / (1 + Math.exp(-v))) * u[j]!),
      H,
    );
  };
  const moe = (l: number, p: string, x: Float64Array): Float64Array => {
    const E = expertsOf(c);
    const k = num('num_experts_per_tok');
    const logits = matvec(w(`${p}mlp.gate.weight`), x, E);
    const max = Math.max(...logits);
    const z = logits.reduce((s, v) => s + Math.exp(v - max), 0);
    const probs = logits.map((v) => Math.exp(v - max) / z);
    const top = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, k);
    o.seen?.add(`${l}:${top.join(',')}`);
    const deepseek = c['model_type'] === 'deepseek';
    const renormalise = o.wrong?.renormalise ?? (c['norm_topk_prob'] === true && (!deepseek || k > 1));
    const sum = top.reduce((s, e) => s + probs[e]!, 0) + (deepseek ? 1e-20 : 0);
    const out = new Float64Array(H);
    for (const e of top) {
      const weight = renormalise ? probs[e]! / sum : probs[e]!;
      mlp(`${p}mlp.experts.${e}`, x).forEach((v, j) => (out[j]! += weight * v));
    }
    if (c['model_type'] === 'qwen2_moe') {
      const g = o.wrong?.ungatedShared
        ? 1
        : sigmoid(matvec(w(`${p}mlp.shared_expert_gate.weight`), x, 1)[0]!);
      mlp(`${p}mlp.shared_expert`, x).forEach((v, j) => (out[j]! += g * v));
    }
    if (deepseek && c['n_shared_experts'] !== null) {
      mlp(`${p}mlp.shared_experts`, x).forEach((v, j) => (out[j]! += v));
    }
    return out;
  };
  const xs = ids.map((id) => Float64Array.from(w('model.embed_tokens.weight').subarray(id * H, id * H + H)));
  for (let l = 0; l < num('num_hidden_layers'); l++) {
    const p = `model.layers.${l}.`;
    const proj = (s: string, x: Float64Array, rows: number): Float64Array =>
      matvec(w(`${p}self_attn.${s}.weight`), x, rows, maybe(`${p}self_attn.${s}.bias`));
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    const qs = xs.map((x, t) => {
      const xn = norm(x, w(`${p}input_layernorm.weight`));
      const [q, k] = [proj('q_proj', xn, nh * hd), proj('k_proj', xn, nkv * hd)];
      const qkNorm = (): void => {
        if (!hasQkNorm(c)) return;
        headNorm(q, nh, w(`${p}self_attn.q_norm.weight`));
        headNorm(k, nkv, w(`${p}self_attn.k_norm.weight`));
      };
      if (!o.wrong?.qkNormAfterRope) qkNorm();
      rope(q, nh, t);
      rope(k, nkv, t);
      if (o.wrong?.qkNormAfterRope) qkNorm();
      ks.push(k);
      vs.push(proj('v_proj', xn, nkv * hd));
      return q;
    });
    for (const [t, x] of xs.entries()) {
      const att = new Float64Array(nh * hd);
      for (let h = 0; h < nh; h++) {
        const g = Math.floor(h / (nh / nkv)) * hd;
        const qh = qs[t]!.subarray(h * hd, h * hd + hd);
        const s = ks.slice(0, t + 1).map((k) => qh.reduce((a, v, i) => a + v * k[g + i]!, 0) / Math.sqrt(hd));
        const mx = Math.max(...s);
        const e = s.map((v) => Math.exp(v - mx));
        const z = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < hd; i++)
          att[h * hd + i] = e.reduce((a, pe, j) => a + (pe / z) * vs[j]![g + i]!, 0);
      }
      proj('o_proj', att, H).forEach((v, j) => (x[j]! += v));
      const xn = norm(x, w(`${p}post_attention_layernorm.weight`));
      const y = isSparseLayer(c, l) ? moe(l, p, xn) : mlp(`${p}mlp`, xn);
      y.forEach((v, j) => (x[j]! += v));
    }
  }
  const last = norm(xs[xs.length - 1]!, w('model.norm.weight'));
  return matvec(w('lm_head.weight'), last, num('vocab_size'));
}
