/**
 * What each layer's MLP is, from config.json: a dense SwiGLU MLP, or a sparse mixture of SwiGLU
 * experts (with, in some families, a shared expert every token goes through). Which layers are
 * sparse, and how the chosen experts are weighted, differ by family; both are settled here, once,
 * so that the forward pass only follows the description:
 *
 * - Mixtral: every layer sparse; the chosen experts' weights renormalised to sum to 1.
 * - Qwen2-MoE, Qwen3-MoE: layer l sparse when it is not in mlp_only_layers, num_experts > 0 and
 *   (l + 1) % decoder_sparse_step == 0; renormalised only with norm_topk_prob (default false:
 *   each chosen expert weighs its softmax probability over all experts). Qwen2-MoE adds a
 *   shared expert scaled by sigmoid(shared_expert_gate · x).
 * - DeepSeek-MoE (v1 remote code): layer l sparse when n_routed_experts is set,
 *   l >= first_k_dense_replace and l % moe_layer_freq == 0; renormalised only with
 *   norm_topk_prob and top_k > 1 (with top_k 1 the weight stays the probability); plus
 *   n_shared_experts experts fused into one ungated MLP when set.
 */
import { UnsupportedModelError } from '../errors.ts';
import { bool, count, int, intList, type Json } from './config-json.ts';
import type { DecoderArchitecture } from './decoder-config.ts';

export interface DenseMlp {
  readonly kind: 'dense';
  readonly intermediate: number;
}

export interface SharedExpert {
  readonly intermediate: number;
  /** Scaled by sigmoid(shared_expert_gate · x) (Qwen2-MoE), or added as it is (DeepSeek). */
  readonly gated: boolean;
}

export interface SparseMlp {
  readonly kind: 'sparse';
  readonly experts: number;
  /** Experts chosen per token (top k of the router's logits). */
  readonly perToken: number;
  /** Each expert's intermediate size. */
  readonly intermediate: number;
  /**
   * true: the chosen experts' weights are their softmax over all experts divided by the sum of
   * the chosen ones (they sum to 1); false: each weighs its softmax probability as it is.
   */
  readonly renormalise: boolean;
  readonly shared: SharedExpert | undefined;
}

export type LayerMlp = DenseMlp | SparseMlp;

const same = (layers: number, m: LayerMlp): LayerMlp[] => Array.from({ length: layers }, () => m);

/** num_experts_per_tok, refused when it is more than the experts it chooses from. */
function perTokenOf(
  config: Json,
  model: string,
  experts: number,
  expertsKey: string,
  fallback?: number,
): number {
  const k = int(config, 'num_experts_per_tok', model, fallback);
  if (k > experts) {
    throw new UnsupportedModelError(
      `${model}/config.json: num_experts_per_tok ${k} is more than ${expertsKey} ${experts}`,
    );
  }
  return k;
}

function mixtral(config: Json, model: string, intermediate: number): SparseMlp {
  const experts = int(config, 'num_local_experts', model, 8);
  const perToken = perTokenOf(config, model, experts, 'num_local_experts', 2);
  return { kind: 'sparse', experts, perToken, intermediate, renormalise: true, shared: undefined };
}

/** Qwen2-MoE and Qwen3-MoE (their defaults differ; the rules do not). */
function qwenMoe(config: Json, model: string, layers: number, dense: DenseMlp, v2: boolean): LayerMlp[] {
  const experts = count(config, 'num_experts', model, v2 ? 60 : 128);
  const only = intList(config, 'mlp_only_layers', model);
  const step = int(config, 'decoder_sparse_step', model, 1);
  const isSparse = (l: number): boolean => !only.includes(l) && experts > 0 && (l + 1) % step === 0;
  if (!Array.from({ length: layers }, (_, l) => l).some(isSparse)) return same(layers, dense);
  const moe: SparseMlp = {
    kind: 'sparse',
    experts,
    perToken: perTokenOf(config, model, experts, 'num_experts', v2 ? 4 : 8),
    intermediate: int(config, 'moe_intermediate_size', model, v2 ? 1408 : 768),
    renormalise: bool(config, 'norm_topk_prob', model, false),
    shared: v2
      ? { intermediate: int(config, 'shared_expert_intermediate_size', model, 5632), gated: true }
      : undefined,
  };
  return Array.from({ length: layers }, (_, l) => (isSparse(l) ? moe : dense));
}

function deepseek(config: Json, model: string, layers: number, dense: DenseMlp): LayerMlp[] {
  if (config['n_routed_experts'] === undefined || config['n_routed_experts'] === null) {
    return same(layers, dense);
  }
  const scoring = config['scoring_func'] ?? 'softmax';
  if (scoring !== 'softmax') {
    throw new UnsupportedModelError(
      `${model}: scoring_func ${JSON.stringify(scoring)} is not supported (DeepSeek-MoE's remote code has only softmax)`,
    );
  }
  const experts = int(config, 'n_routed_experts', model);
  const expertI = int(config, 'moe_intermediate_size', model, 1407);
  const first = count(config, 'first_k_dense_replace', model, 0);
  const freq = int(config, 'moe_layer_freq', model, 1);
  const shared = config['n_shared_experts'] ?? undefined;
  const perToken = perTokenOf(config, model, experts, 'n_routed_experts');
  const moe: SparseMlp = {
    kind: 'sparse',
    experts,
    perToken,
    intermediate: expertI,
    // The remote code divides by (sum + 1e-20) only when top_k > 1; 1e-20 is below float32's
    // resolution of a sum of probabilities, so this is the plain renormalisation.
    renormalise: perToken > 1 && bool(config, 'norm_topk_prob', model, false),
    shared:
      shared === undefined
        ? undefined
        : { intermediate: expertI * int(config, 'n_shared_experts', model), gated: false },
  };
  return Array.from({ length: layers }, (_, l) => (l >= first && l % freq === 0 ? moe : dense));
}

/** Each layer's MLP; `intermediate` is intermediate_size (the dense MLPs'). */
export function layerMlps(
  architecture: DecoderArchitecture,
  config: Json,
  model: string,
  layers: number,
  intermediate: number,
): readonly LayerMlp[] {
  const dense: DenseMlp = { kind: 'dense', intermediate };
  switch (architecture) {
    case 'MixtralForCausalLM':
      return same(layers, mixtral(config, model, intermediate));
    case 'Qwen2MoeForCausalLM':
      return qwenMoe(config, model, layers, dense, true);
    case 'Qwen3MoeForCausalLM':
      return qwenMoe(config, model, layers, dense, false);
    case 'DeepseekForCausalLM':
      return deepseek(config, model, layers, dense);
    default:
      return same(layers, dense);
  }
}

/** The widest intermediate any MLP of these layers runs (the scratch it needs). */
export function widestIntermediate(mlps: readonly LayerMlp[]): number {
  return Math.max(
    0,
    ...mlps.map((m) =>
      m.kind === 'dense' ? m.intermediate : Math.max(m.intermediate, m.shared?.intermediate ?? 0),
    ),
  );
}

/** The sparse layers' experts and experts per token (the largest, for the router's scratch). */
export function sparseShape(mlps: readonly LayerMlp[]): { experts: number; perToken: number } | undefined {
  const s = mlps.filter((m): m is SparseMlp => m.kind === 'sparse');
  if (s.length === 0) return undefined;
  return { experts: Math.max(...s.map((m) => m.experts)), perToken: Math.max(...s.map((m) => m.perToken)) };
}

export function sameMlp(a: LayerMlp, b: LayerMlp): boolean {
  if (a.kind === 'dense' || b.kind === 'dense') return a.kind === b.kind && a.intermediate === b.intermediate;
  return (
    a.experts === b.experts &&
    a.perToken === b.perToken &&
    a.intermediate === b.intermediate &&
    a.renormalise === b.renormalise &&
    a.shared?.intermediate === b.shared?.intermediate &&
    a.shared?.gated === b.shared?.gated
  );
}
