/**
 * What every MoE output architecture shares: the checks on its input models (model types,
 * biases, layer counts, MLP shapes), the output dtype, the tensor list as it is built (copies
 * from a model, zeros, router rows), and config.json as transformers' save_pretrained writes it.
 */
import {
  dtypeFromTorchName,
  isWritableDType,
  torchNameOf,
  type DType,
  type WritableDType,
} from '../../io/dtypes.ts';
import { ArchitectureError, type ModelInfo } from '../../plan/architecture.ts';
import type { MoeConfig } from '../moe-config.ts';
import type { ExpertRef, MoeLayout, MoeTensor, OutputArchitectureName } from './types.ts';

export type Json = Readonly<Record<string, unknown>>;
export type Models = ReadonlyMap<string, ModelInfo>;

export const L = (i: number, s: string): string => `model.layers.${i}.${s}`;

/** A Llama (or Mistral) layer's weights in mergekit's order (_data/architectures/llama.json). */
export const LLAMA_LAYER = [
  'input_layernorm.weight',
  'self_attn.q_proj.weight',
  'self_attn.k_proj.weight',
  'self_attn.v_proj.weight',
  'self_attn.o_proj.weight',
  'post_attention_layernorm.weight',
  'mlp.up_proj.weight',
  'mlp.gate_proj.weight',
  'mlp.down_proj.weight',
] as const;

/**
 * mergekit-moe's warning for an expert count that is not a power of two (the MoE builds and
 * runs, but llama.cpp cannot load it); undefined for a power of two.
 */
export function expertCountWarning(numExperts: number): string | undefined {
  return numExperts > 0 && (numExperts & (numExperts - 1)) !== 0
    ? `the model has ${numExperts} experts, which is not a power of two: it will not be usable in llama.cpp`
    : undefined;
}

export function positiveInt(config: Json, key: string, model: string): number {
  const v = config[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    throw new ArchitectureError(`${model}/config.json: ${key} must be a positive integer (found ${JSON.stringify(v)})`); // prettier-ignore
  return v;
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Every model the config reads, each once: base, experts, shared experts. */
export function inputIds(config: MoeConfig, withShared = true): string[] {
  const shared = withShared ? (config.shared_experts ?? []) : [];
  return [...new Set([config.base_model, ...[...config.experts, ...shared].map((e) => e.source_model)])];
}

/**
 * mergekit's supports_config on model types: one type for all the models, one of `allowed`.
 * Undefined when they fit, else why not (a phrase that follows the architecture's name).
 */
export function modelTypeProblem(
  config: MoeConfig,
  models: Models,
  allowed: readonly string[],
  withShared = true,
): string | undefined {
  const baseType = models.get(config.base_model)!.config['model_type'];
  const names =
    allowed.length === 1 ? allowed[0]! : `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)!}`;
  for (const id of inputIds(config, withShared)) {
    const type = models.get(id)!.config['model_type'];
    if (typeof type !== 'string' || !allowed.includes(type))
      return `is built from ${names} models only (model_type), and ${id} is ${JSON.stringify(type ?? 'of unknown type')}`;
    if (type !== baseType)
      return `needs input models of one architecture, and ${id} is ${type} while the base ${config.base_model} is ${String(baseType)}`;
  }
  return undefined;
}

/** Refuses a model with biases the output has no place for (they would be dropped). */
export function refuseBiases(
  arch: OutputArchitectureName,
  model: ModelInfo,
  tensor: RegExp,
  keys: readonly string[],
): void {
  const biased =
    [...model.tensors.keys()].find((n) => tensor.test(n)) ?? keys.find((k) => model.config[k] === true);
  if (biased !== undefined)
    throw new ArchitectureError(`${model.id} has biases (${biased}), which a ${arch} model has no place for`);
}

/** The output dtype (mergekit's select_dtype): the config's, else the base's torch_dtype. */
export function outputDtype(config: MoeConfig, base: ModelInfo): WritableDType | undefined {
  if (config.dtype) return dtypeFromTorchName(config.dtype);
  const named = base.config['torch_dtype'] ?? base.config['dtype'];
  return typeof named === 'string' ? dtypeFromTorchName(named) : undefined;
}

/** The base's sizes every expert must have. */
export interface BaseDims {
  readonly numLayers: number;
  readonly hidden: number;
  readonly inter: number;
}

export function baseDims(config: MoeConfig, models: Models): BaseDims {
  const base = models.get(config.base_model)!;
  const c = base.config;
  const dims = {
    numLayers: positiveInt(c, 'num_hidden_layers', base.id),
    hidden: positiveInt(c, 'hidden_size', base.id),
    inter: positiveInt(c, 'intermediate_size', base.id),
  };
  for (const id of inputIds(config)) {
    const layers = models.get(id)!.config['num_hidden_layers'];
    if (layers !== dims.numLayers)
      throw new ArchitectureError(`${id} has ${String(layers)} layers, the base ${base.id} ${dims.numLayers}: every expert must have the base's layers`); // prettier-ignore
  }
  return dims;
}

interface CopyOptions {
  readonly layer?: number;
  readonly expert?: ExpertRef;
  /** Checks the MLP's shape against the base's (experts). */
  readonly mlp?: boolean;
}

/** The output's tensors, in the order they are added (which is the order they are written). */
export class TensorList {
  readonly tensors: MoeTensor[] = [];

  constructor(
    private readonly arch: OutputArchitectureName,
    private readonly base: ModelInfo,
    private readonly dims: BaseDims,
    /** The config's or base's dtype; undefined: each tensor keeps its own (routers: F32). */
    readonly dtype: WritableDType | undefined,
  ) {}

  /** `name` of `model`, written as `out`. */
  copy(model: ModelInfo, name: string, out: string, opts: CopyOptions = {}): void {
    const t = model.tensors.get(name);
    if (!t) throw new ArchitectureError(`${model.id} has no tensor ${name}, which a ${this.arch} model takes from it`); // prettier-ignore
    const residual = opts.mlp === true && name.endsWith('.down_proj.weight');
    if (opts.mlp) {
      const { hidden, inter } = this.dims;
      const want = residual ? [hidden, inter] : [inter, hidden];
      if (!sameShape(t.shape, want))
        throw new ArchitectureError(`${model.id}: ${name} is ${shapeText(t.shape)}, but the base ${this.base.id}'s config.json (hidden_size ${hidden}, intermediate_size ${inter}) needs ${shapeText(want)}: every expert must have the base's shape`); // prettier-ignore
    }
    this.tensors.push({
      name: out,
      shape: t.shape,
      dtype: writable(this.dtype ?? t.dtype, model.id, name),
      ...(opts.layer !== undefined && { layer: opts.layer }),
      source: {
        kind: 'copy',
        model: model.id,
        tensor: name,
        dtype: t.dtype,
        ...(opts.expert && { expert: opts.expert }),
        ...(residual && { residual: true }),
      },
    });
  }

  /** The base's tensor when it has it, else nothing (optional weights: lm_head). */
  copyIfPresent(name: string): void {
    if (this.base.tensors.has(name)) this.copy(this.base, name, name);
  }

  /** Rows `first .. first + count` of a layer's router rows, [count, hidden]. */
  router(out: string, layer: number, first: number, count: number): void {
    // mergekit's routers are float32 (torch's default) unless an output dtype is set.
    this.tensors.push({
      name: out,
      shape: [count, this.dims.hidden],
      dtype: this.dtype ?? 'F32',
      layer,
      source: { kind: 'router', layer, first, count },
    });
  }

  zeros(out: string, shape: readonly number[], layer: number): void {
    this.tensors.push({ name: out, shape, dtype: this.dtype ?? 'F32', layer, source: { kind: 'zeros' } });
  }
}

function writable(dtype: DType, model: string, name: string): WritableDType {
  if (isWritableDType(dtype)) return dtype;
  throw new ArchitectureError(
    `${model}: ${name} is stored as ${dtype}; set dtype: (bfloat16, float16 or float32) in the MoE config to write it`,
  );
}

/**
 * What a transformers Llama/Mistral/Qwen2/Qwen3 config writes for keys a config.json may leave
 * out, where the output class's own default differs: mergekit builds the output from the base's
 * to_dict(), so an absent key keeps the base class's value, not the MoE class's (rope_theta, kv
 * heads...).
 */
export function baseClassDefaults(c: Json): Record<string, unknown> {
  const type = c['model_type'];
  const qwen = type === 'qwen2' || type === 'qwen3';
  const positions = type === 'mistral' ? 4096 * 32 : qwen ? 32768 : 2048;
  // transformers v5 writes rope_theta (and rope_scaling) into rope_parameters; the MoE classes
  // of transformers 4 and DeepSeek's remote code read rope_theta and rope_scaling.
  const rope = c['rope_parameters'] as Json | null | undefined;
  const ropeType = rope?.['rope_type'];
  const { rope_theta: ropeTheta, rope_type: _t, ...ropeScaling } = rope ?? {};
  return {
    // MistralConfig's default is 8 kv heads, Qwen2Config's and Qwen3Config's 32, LlamaConfig's the heads.
    num_key_value_heads: type === 'mistral' ? 8 : qwen ? 32 : c['num_attention_heads'],
    vocab_size: qwen ? 151936 : 32000,
    rms_norm_eps: 1e-6,
    rope_theta: typeof ropeTheta === 'number' ? ropeTheta : 10000.0,
    ...(typeof ropeType === 'string' && ropeType !== 'default' && { rope_scaling: { ...ropeScaling, rope_type: ropeType, type: ropeType } }), // prettier-ignore
    tie_word_embeddings: false,
    hidden_act: 'silu',
    max_position_embeddings: positions,
    ...(type === 'qwen3' && { head_dim: 128, attention_bias: false }),
  };
}

/**
 * config.json as save_pretrained writes it: `out` with the dtype set (under `dtype` where the
 * base's config used that newer key) and the keys sorted.
 */
export function finishConfig(out: Record<string, unknown>, dtype: WritableDType | undefined): Json {
  if (dtype) {
    if ('dtype' in out && !('torch_dtype' in out)) out['dtype'] = torchNameOf(dtype);
    else out['torch_dtype'] = torchNameOf(dtype);
  }
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((k) => [k, out[k]]),
  );
}

/** Keys absent from `out` set to `defaults`' values. */
export function withDefaults(out: Record<string, unknown>, defaults: Json): Record<string, unknown> {
  for (const [k, v] of Object.entries(defaults)) if (!(k in out)) out[k] = v;
  return out;
}

/** The layout of `list`'s tensors, with mergekit's expert-count warning. */
export function layoutOf(
  architecture: OutputArchitectureName,
  list: TensorList,
  dims: BaseDims,
  counts: { readonly experts: number; readonly shared: number },
  config: Json,
): MoeLayout {
  const countWarning = expertCountWarning(counts.experts);
  return {
    architecture,
    tensors: list.tensors,
    config,
    numLayers: dims.numLayers,
    hidden: dims.hidden,
    numExperts: counts.experts,
    numShared: counts.shared,
    warnings: countWarning ? [countWarning] : [],
  };
}

/** Qwen2MoeConfig's and Qwen3MoeConfig's keys that the inputs' configs lack, with transformers' defaults. */
const QWEN_MOE_DEFAULTS = {
  mlp_only_layers: [],
  output_router_logits: false,
  router_aux_loss_coef: 0.001,
};

/**
 * The keys mergekit's QwenMoE and Qwen3MoE _generate_config set on the base's config (made a
 * Qwen2MoeConfig / Qwen3MoeConfig), before each adds its own.
 */
export function qwenMoeConfig(
  config: MoeConfig,
  base: Json,
  architecture: string,
  modelType: string,
): Record<string, unknown> {
  const out = withDefaults({ ...baseClassDefaults(base), ...structuredClone(base) }, QWEN_MOE_DEFAULTS);
  out['architectures'] = [architecture];
  out['model_type'] = modelType;
  out['num_experts'] = config.experts.length;
  out['num_experts_per_tok'] = config.experts_per_token;
  out['decoder_sparse_step'] = 1;
  out['norm_topk_prob'] = true;
  out['moe_intermediate_size'] = out['intermediate_size'];
  return out;
}
