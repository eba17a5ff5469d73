/**
 * What a Mixtral MoE built from Llama/Mistral models holds (mergekit/moe/mixtral.py), decided
 * from config.json files and tensor tables alone, before any weight is read:
 *
 *   from the base    embeddings, each layer's attention and both norms, the final norm, lm_head
 *   from expert e    model.layers.N.mlp.{gate,down,up}_proj -> model.layers.N.block_sparse_moe
 *                    .experts.e.{w1,w2,w3} (w2 = down_proj is the one residual_scale scales)
 *   computed         model.layers.N.block_sparse_moe.gate.weight, the router, [experts, hidden]
 *
 * in mergekit's order (base tensors, then each layer's experts, then the routers). Tensor names
 * are the Mixtral checkpoint layout that transformers reads (mergekit's transformers-v5 branch
 * writes fused `mlp.experts.gate_up_proj` tensors instead, which transformers v5 converts the
 * classic layout to on load). Anything Mixtral cannot hold (biases, a non-Llama input, experts of
 * another shape) is refused by name here rather than dropped on the way.
 */
import {
  dtypeFromTorchName,
  isWritableDType,
  torchNameOf,
  type DType,
  type WritableDType,
} from '../io/dtypes.ts';
import { ArchitectureError, type ModelInfo } from '../plan/architecture.ts';
import type { ShardTensor } from '../engine/shards.ts';
import type { MoeConfig } from './moe-config.ts';
import { expertCountWarning } from './moe-rules.ts';

/** Where an output tensor's values come from. */
export type MoeTensorSource =
  | {
      readonly kind: 'copy';
      readonly model: string;
      readonly tensor: string;
      readonly dtype: DType;
      /** Index in config.experts, for expert tensors (noise_scale, residual_scale). */
      readonly expert?: number;
      /** down_proj: the expert's output into the residual stream (residual_scale applies). */
      readonly residual?: boolean;
    }
  | { readonly kind: 'router'; readonly layer: number };

export interface MoeTensor extends ShardTensor {
  readonly source: MoeTensorSource;
  readonly layer?: number;
}

export interface MixtralLayout {
  readonly tensors: readonly MoeTensor[];
  /** The output config.json. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly numLayers: number;
  readonly hidden: number;
  readonly numExperts: number;
  readonly warnings: readonly string[];
}

const LAYER_TENSORS = [
  'input_layernorm.weight',
  'self_attn.q_proj.weight',
  'self_attn.k_proj.weight',
  'self_attn.v_proj.weight',
  'self_attn.o_proj.weight',
  'post_attention_layernorm.weight',
] as const;
/** Source MLP projection -> Mixtral expert weight (mixtral.py). */
const EXPERT_WEIGHTS = [
  ['gate_proj', 'w1'],
  ['down_proj', 'w2'],
  ['up_proj', 'w3'],
] as const;
const INPUT_TYPES = ['llama', 'mistral'];
/**
 * What a transformers Llama/Mistral config writes for keys a config.json may leave out, where
 * MixtralConfig's own default differs: mergekit builds the output from the base's to_dict(), so
 * an absent key keeps the base class's value, not Mixtral's (rope_theta 1e6, 8 kv heads...).
 */
const BASE_DEFAULTS = (c: Readonly<Record<string, unknown>>): Record<string, unknown> => ({
  num_key_value_heads: c['num_attention_heads'],
  rms_norm_eps: 1e-6,
  rope_theta: 10000.0,
  tie_word_embeddings: false,
  hidden_act: 'silu',
  max_position_embeddings: c['model_type'] === 'mistral' ? 4096 * 32 : 2048,
});
/** MixtralConfig's keys that a Llama config lacks, with transformers' defaults. */
const MIXTRAL_DEFAULTS = {
  output_router_logits: false,
  router_aux_loss_coef: 0.001,
  router_jitter_noise: 0.0,
};

interface CopyOptions {
  readonly layer?: number;
  readonly expert?: number;
  readonly residual?: boolean;
  /** The shape the tensor must have (experts: the base's MLP shape). */
  readonly shape?: readonly number[];
}

const L = (i: number, s: string): string => `model.layers.${i}.${s}`;

function positiveInt(config: Readonly<Record<string, unknown>>, key: string, model: string): number {
  const v = config[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new ArchitectureError(`${model}/config.json: ${key} must be a positive integer (found ${JSON.stringify(v)})`); // prettier-ignore
  return v;
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** mergekit's MixtralMoE.supports_config: one model type for all, Llama or Mistral. */
function checkInputTypes(config: MoeConfig, models: ReadonlyMap<string, ModelInfo>): void {
  const base = models.get(config.base_model)!;
  const baseType = base.config['model_type'];
  for (const id of [config.base_model, ...config.experts.map((e) => e.source_model)]) {
    const type = models.get(id)!.config['model_type'];
    if (typeof type !== 'string' || !INPUT_TYPES.includes(type)) {
      throw new ArchitectureError(
        `${id} is a ${JSON.stringify(type ?? 'model of unknown type')} model: a Mixtral MoE is built from Llama or Mistral models (model_type llama or mistral)`,
      );
    }
    if (type !== baseType) {
      throw new ArchitectureError(
        `${id} is a ${type} model while the base ${config.base_model} is ${String(baseType)}: a Mixtral MoE needs all its input models to have the same architecture`,
      );
    }
  }
  // The base gives attention and the experts their MLPs: a bias in either would be dropped.
  checkBiases(base, /\.(self_attn|mlp)\.\w+\.bias$/, ['attention_bias', 'mlp_bias']);
  for (const e of config.experts) checkBiases(models.get(e.source_model)!, /\.mlp\.\w+\.bias$/, ['mlp_bias']);
}

function checkBiases(model: ModelInfo, tensor: RegExp, keys: readonly string[]): void {
  const biased =
    [...model.tensors.keys()].find((n) => tensor.test(n)) ?? keys.find((k) => model.config[k] === true);
  if (biased !== undefined) {
    throw new ArchitectureError(`${model.id} has biases (${biased}), which a Mixtral model has no place for`);
  }
}

/** The output dtype (mergekit's select_dtype): the config's, else the base's torch_dtype. */
export function outputDtype(config: MoeConfig, base: ModelInfo): WritableDType | undefined {
  if (config.dtype) return dtypeFromTorchName(config.dtype);
  const named = base.config['torch_dtype'] ?? base.config['dtype'];
  return typeof named === 'string' ? dtypeFromTorchName(named) : undefined;
}

export function mixtralLayout(config: MoeConfig, models: ReadonlyMap<string, ModelInfo>): MixtralLayout {
  const base = models.get(config.base_model)!;
  checkInputTypes(config, models);
  const c = base.config;
  const numLayers = positiveInt(c, 'num_hidden_layers', base.id);
  const hidden = positiveInt(c, 'hidden_size', base.id);
  const inter = positiveInt(c, 'intermediate_size', base.id);
  const outDtype = outputDtype(config, base);
  const tensors: MoeTensor[] = [];
  const copy = (model: ModelInfo, name: string, out: string, opts: CopyOptions = {}): void => {
    const t = model.tensors.get(name);
    if (!t)
      throw new ArchitectureError(`${model.id} has no tensor ${name}, which a Mixtral MoE takes from it`);
    if (opts.shape && !sameShape(t.shape, opts.shape)) {
      throw new ArchitectureError(
        `${model.id}: ${name} is ${shapeText(t.shape)}, but the base ${base.id}'s config.json (hidden_size ${hidden}, intermediate_size ${inter}) needs ${shapeText(opts.shape)}: every expert must have the base's shape`,
      );
    }
    tensors.push({
      name: out,
      shape: t.shape,
      dtype: writable(outDtype ?? t.dtype, model.id, name),
      ...(opts.layer !== undefined && { layer: opts.layer }),
      source: {
        kind: 'copy',
        model: model.id,
        tensor: name,
        dtype: t.dtype,
        ...(opts.expert !== undefined && { expert: opts.expert }),
        ...(opts.residual && { residual: true }),
      },
    });
  };
  copy(base, 'model.embed_tokens.weight', 'model.embed_tokens.weight');
  for (let l = 0; l < numLayers; l++) {
    for (const s of LAYER_TENSORS) copy(base, L(l, s), L(l, s), { layer: l });
  }
  copy(base, 'model.norm.weight', 'model.norm.weight');
  // Optional, as in mergekit's Mistral description: tied checkpoints have no lm_head.
  if (base.tensors.has('lm_head.weight')) copy(base, 'lm_head.weight', 'lm_head.weight');
  for (const expert of config.experts) {
    const layers = models.get(expert.source_model)!.config['num_hidden_layers'];
    if (layers !== numLayers)
      throw new ArchitectureError(`${expert.source_model} has ${String(layers)} layers, the base ${base.id} ${numLayers}: every expert must have the base's layers`); // prettier-ignore
  }
  for (let l = 0; l < numLayers; l++) {
    for (const [e, expert] of config.experts.entries()) {
      const m = models.get(expert.source_model)!;
      for (const [from, to] of EXPERT_WEIGHTS) {
        const residual = from === 'down_proj';
        const shape = residual ? [hidden, inter] : [inter, hidden];
        const out = L(l, `block_sparse_moe.experts.${e}.${to}.weight`);
        copy(m, L(l, `mlp.${from}.weight`), out, { layer: l, expert: e, residual, shape });
      }
    }
  }
  const numExperts = config.experts.length;
  for (let l = 0; l < numLayers; l++) {
    tensors.push({
      name: L(l, 'block_sparse_moe.gate.weight'),
      shape: [numExperts, hidden],
      // mergekit's routers are float32 (torch's default) unless an output dtype is set.
      dtype: outDtype ?? 'F32',
      layer: l,
      source: { kind: 'router', layer: l },
    });
  }
  const countWarning = expertCountWarning(numExperts);
  const warnings = countWarning ? [countWarning] : [];
  return { tensors, config: mixtralConfig(config, base, outDtype), numLayers, hidden, numExperts, warnings };
}

function writable(dtype: DType, model: string, name: string): WritableDType {
  if (isWritableDType(dtype)) return dtype;
  throw new ArchitectureError(
    `${model}: ${name} is stored as ${dtype}; set dtype: (bfloat16, float16 or float32) in the MoE config to write it`,
  );
}

/** mergekit's _generate_config: the base's config as a MixtralConfig. */
function mixtralConfig(
  config: MoeConfig,
  base: ModelInfo,
  dtype: WritableDType | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...BASE_DEFAULTS(base.config), ...structuredClone(base.config) };
  for (const [k, v] of Object.entries(MIXTRAL_DEFAULTS)) if (!(k in out)) out[k] = v;
  out['architectures'] = ['MixtralForCausalLM'];
  out['model_type'] = 'mixtral';
  out['num_local_experts'] = config.experts.length;
  out['num_experts_per_tok'] = config.experts_per_token;
  out['sliding_window'] = null;
  if (dtype) {
    if ('dtype' in out && !('torch_dtype' in out)) out['dtype'] = torchNameOf(dtype);
    else out['torch_dtype'] = torchNameOf(dtype);
  }
  // Sorted keys, as transformers' save_pretrained writes them.
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((k) => [k, out[k]]),
  );
}
