/**
 * config.json of a Llama-family decoder, read into the numbers the forward pass needs, with
 * transformers' defaults (or the model's remote code's, for DeepSeek-MoE) for absent keys. The
 * families differ in a few places only: Mistral's sliding window, Qwen3's RMSNorm of each query
 * and key head, and the MLPs of the mixtures of experts (./layer-mlps.ts). Anything the forward
 * pass does not implement (another architecture, an activation other than SiLU, an unknown RoPE
 * scaling, Qwen's sliding window) is refused here, by name, rather than evaluated wrongly.
 */
import { UnsupportedModelError } from '../errors.ts';
import { bool, int, num, type Json } from './config-json.ts';
import { layerMlps, sameMlp, sparseShape, type LayerMlp } from './layer-mlps.ts';

export const SUPPORTED_ARCHITECTURES = [
  'LlamaForCausalLM',
  'MistralForCausalLM',
  'Qwen2ForCausalLM',
  'Qwen3ForCausalLM',
  'MixtralForCausalLM',
  'Qwen2MoeForCausalLM',
  'Qwen3MoeForCausalLM',
  'DeepseekForCausalLM',
] as const;
export type DecoderArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/** What differs between the families, defaults included (each config class has its own). */
interface Family {
  readonly modelType: string;
  /** num_key_value_heads when absent; undefined: as many as the attention heads. */
  readonly kvHeads?: number;
  /** head_dim when absent; undefined: hidden_size / num_attention_heads. */
  readonly headDim?: number;
  /** DeepSeek's remote code takes hidden_size / num_attention_heads whatever head_dim says. */
  readonly ignoresHeadDim?: true;
  readonly theta: number;
  readonly eps: number;
  /** intermediate_size when absent; undefined: required. */
  readonly intermediate?: number;
  /** RMSNorm of each query and key head before RoPE (Qwen3's q_norm and k_norm). */
  readonly qkNorm: boolean;
  /** 'window': Mistral's sliding_window; 'refuse': Qwen's use_sliding_window is refused. */
  readonly sliding: 'window' | 'refuse' | 'none';
  /** sliding_window when the key is absent (MistralConfig's 4096; null means none). */
  readonly window?: number;
}

const FAMILIES: Readonly<Record<DecoderArchitecture, Family>> = {
  LlamaForCausalLM: { modelType: 'llama', theta: 10000, eps: 1e-6, qkNorm: false, sliding: 'none' },
  // MistralConfig's and MixtralConfig's num_key_value_heads default to 8, Qwen2Config's and
  // DeepseekConfig's to 32 (LlamaConfig's to the attention heads).
  MistralForCausalLM: { modelType: 'mistral', kvHeads: 8, theta: 10000, eps: 1e-6, qkNorm: false, sliding: 'window', window: 4096 }, // prettier-ignore
  Qwen2ForCausalLM: { modelType: 'qwen2', kvHeads: 32, theta: 10000, eps: 1e-6, qkNorm: false, sliding: 'refuse' }, // prettier-ignore
  // Qwen3Config's head_dim defaults to 128, whatever the hidden size.
  Qwen3ForCausalLM: { modelType: 'qwen3', kvHeads: 32, headDim: 128, theta: 10000, eps: 1e-6, intermediate: 22016, qkNorm: true, sliding: 'refuse' }, // prettier-ignore
  MixtralForCausalLM: { modelType: 'mixtral', kvHeads: 8, theta: 1e6, eps: 1e-5, qkNorm: false, sliding: 'window' }, // prettier-ignore
  Qwen2MoeForCausalLM: { modelType: 'qwen2_moe', kvHeads: 16, theta: 10000, eps: 1e-6, intermediate: 5632, qkNorm: false, sliding: 'refuse' }, // prettier-ignore
  // Qwen3MoeConfig has no head_dim default: the attention falls back to hidden / heads.
  Qwen3MoeForCausalLM: { modelType: 'qwen3_moe', kvHeads: 4, theta: 10000, eps: 1e-6, intermediate: 6144, qkNorm: true, sliding: 'refuse' }, // prettier-ignore
  DeepseekForCausalLM: { modelType: 'deepseek', kvHeads: 32, ignoresHeadDim: true, theta: 10000, eps: 1e-6, intermediate: 11008, qkNorm: false, sliding: 'none' }, // prettier-ignore
};

export interface DecoderConfig {
  readonly architecture: DecoderArchitecture;
  readonly vocabSize: number;
  readonly hidden: number;
  /** intermediate_size: the dense MLPs' (the experts' own is in `mlps`). */
  readonly intermediate: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly rmsEps: number;
  /** The rotary frequencies, one per pair of head dimensions (scaling already applied). */
  readonly invFreq: Float64Array;
  readonly tieEmbeddings: boolean;
  /** Keys further back than this many positions are masked (Mistral); undefined: none. */
  readonly slidingWindow: number | undefined;
  /** q_norm and k_norm: an RMSNorm over each head of q and of k, before RoPE (Qwen3). */
  readonly qkNorm: boolean;
  /** Each layer's MLP, dense or sparse. */
  readonly mlps: readonly LayerMlp[];
  /** The sparse layers' experts and experts per token; undefined when every layer is dense. */
  readonly moe: { readonly experts: number; readonly perToken: number } | undefined;
}

function architectureOf(config: Json, model: string): DecoderArchitecture {
  const archs = config['architectures'];
  const named = Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : undefined;
  const type = typeof config['model_type'] === 'string' ? config['model_type'] : undefined;
  const byType = SUPPORTED_ARCHITECTURES.find((a) => FAMILIES[a].modelType === type);
  const arch = named ?? byType;
  if (arch && (SUPPORTED_ARCHITECTURES as readonly string[]).includes(arch))
    return arch as DecoderArchitecture;
  throw new UnsupportedModelError(
    `${model} is a ${named ?? type ?? 'model of unknown architecture'}; evaluation supports ` +
      `${SUPPORTED_ARCHITECTURES.join(', ')} (decoders of the Llama family)`,
  );
}

/** The default RoPE frequencies: theta^(-2i/d) for i < d/2. */
export function ropeFrequencies(headDim: number, theta: number): Float64Array {
  const f = new Float64Array(headDim / 2);
  for (let i = 0; i < f.length; i++) f[i] = 1 / theta ** ((2 * i) / headDim);
  return f;
}

/** Applies `rope_scaling` (linear or Llama 3's) to the frequencies, as transformers does. */
export function scaleFrequencies(freq: Float64Array, scaling: unknown, model: string): Float64Array {
  if (scaling === null || scaling === undefined) return freq;
  const s = scaling as Json;
  const type = s['rope_type'] ?? s['type'];
  if (type === 'default') return freq;
  const factor = num(s, 'factor', model, NaN);
  if (type === 'linear') return freq.map((f) => f / factor);
  if (type === 'llama3') {
    const low = num(s, 'low_freq_factor', model, NaN);
    const high = num(s, 'high_freq_factor', model, NaN);
    const original = num(s, 'original_max_position_embeddings', model, NaN);
    const lowWavelen = original / low;
    const highWavelen = original / high;
    return freq.map((f) => {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) return f;
      if (wavelen > lowWavelen) return f / factor;
      const smooth = (original / wavelen - low) / (high - low);
      return (1 - smooth) * (f / factor) + smooth * f;
    });
  }
  throw new UnsupportedModelError(
    `${model}/config.json: rope_scaling of type ${JSON.stringify(type)} is not supported (only linear and llama3)`,
  );
}

/**
 * RoPE's theta and scaling: rope_theta and rope_scaling, or the rope_parameters object that
 * transformers v5 writes in their place (one for all layers; per-layer-type ones are refused).
 * DeepSeek-MoE's remote code reads rope_theta and rope_scaling["type"] only, and knows linear
 * and dynamic scaling only, so anything else there would not load: refused.
 */
function ropeOf(config: Json, family: Family, model: string): { theta: number; scaling: unknown } {
  const theta = num(config, 'rope_theta', model, family.theta);
  const scaling = config['rope_scaling'];
  if (family.modelType === 'deepseek') {
    const type = scaling === undefined || scaling === null ? 'none' : (scaling as Json)['type'];
    if (type !== 'none' && type !== 'linear') {
      throw new UnsupportedModelError(
        `${model}/config.json: DeepSeek-MoE's remote code reads rope_scaling["type"] (linear or dynamic); ` +
          `this rope_scaling (${JSON.stringify(scaling)}) would not load there, or is dynamic, which is not supported`,
      );
    }
    return { theta, scaling };
  }
  const params = config['rope_parameters'];
  if (params === undefined || params === null) return { theta, scaling };
  const p = params as Json;
  if (typeof params !== 'object' || (p['rope_theta'] === undefined && p['rope_type'] === undefined)) {
    throw new UnsupportedModelError(`${model}/config.json: rope_parameters per layer type are not supported`);
  }
  return { theta: num(p, 'rope_theta', model, theta), scaling: scaling ?? { rope_type: 'default', ...p } };
}

/** Mistral's window; Qwen's is refused (its layer_types would mix windowed and full layers). */
function slidingWindowOf(
  config: Json,
  family: Family,
  architecture: string,
  model: string,
): number | undefined {
  const window = config['sliding_window'] === undefined ? family.window : config['sliding_window'];
  if (family.sliding === 'window') return typeof window === 'number' && window > 0 ? window : undefined;
  const types = config['layer_types'];
  const windowed = Array.isArray(types) && types.some((t) => t !== 'full_attention');
  if (family.sliding === 'refuse' && (bool(config, 'use_sliding_window', model, false) || windowed)) {
    throw new UnsupportedModelError(
      `${model}: ${architecture} with a sliding window (use_sliding_window, or sliding layer_types) is not supported`,
    );
  }
  return undefined;
}

export function parseDecoderConfig(config: Json, model: string): DecoderConfig {
  const architecture = architectureOf(config, model);
  const family = FAMILIES[architecture];
  const hidden = int(config, 'hidden_size', model);
  const heads = int(config, 'num_attention_heads', model);
  // An explicit null: as many as the attention heads (Llama's, Qwen3's and DeepSeek's config classes).
  const kvDefault = config['num_key_value_heads'] === undefined ? (family.kvHeads ?? heads) : heads;
  const kvHeads = int(config, 'num_key_value_heads', model, kvDefault);
  const fromHidden = Math.floor(hidden / heads);
  const headDim = family.ignoresHeadDim
    ? fromHidden
    : int(config, 'head_dim', model, family.headDim ?? fromHidden);
  if (heads % kvHeads !== 0) {
    throw new UnsupportedModelError(
      `${model}: ${heads} attention heads do not divide into ${kvHeads} key/value heads`,
    );
  }
  if (headDim % 2 !== 0)
    throw new UnsupportedModelError(`${model}: head_dim ${headDim} is odd; RoPE needs pairs`);
  const act = config['hidden_act'] ?? 'silu';
  if (act !== 'silu') {
    throw new UnsupportedModelError(
      `${model}: hidden_act ${JSON.stringify(act)} is not supported (only silu, SwiGLU)`,
    );
  }
  const slidingWindow = slidingWindowOf(config, family, architecture, model);
  const rope = ropeOf(config, family, model);
  const layers = int(config, 'num_hidden_layers', model);
  const intermediate = int(config, 'intermediate_size', model, family.intermediate);
  const mlps = layerMlps(architecture, config, model, layers, intermediate);
  return {
    architecture,
    vocabSize: int(config, 'vocab_size', model),
    hidden,
    intermediate,
    layers,
    heads,
    kvHeads,
    headDim,
    rmsEps: num(config, 'rms_norm_eps', model, family.eps),
    invFreq: scaleFrequencies(ropeFrequencies(headDim, rope.theta), rope.scaling, model),
    tieEmbeddings: config['tie_word_embeddings'] === true,
    slidingWindow,
    qkNorm: family.qkNorm,
    mlps,
    moe: sparseShape(mlps),
  };
}

const SCALARS = ['architecture', 'vocabSize', 'hidden', 'intermediate', 'layers', 'heads', 'kvHeads', 'headDim', 'rmsEps', 'tieEmbeddings', 'slidingWindow', 'qkNorm'] as const; // prettier-ignore

/** Whether two configs run the same forward pass (one's evaluator can take the other's weights). */
export function sameDecoderConfig(a: DecoderConfig, b: DecoderConfig): boolean {
  return (
    SCALARS.every((k) => a[k] === b[k]) &&
    a.invFreq.length === b.invFreq.length &&
    a.invFreq.every((f, i) => f === b.invFreq[i]) &&
    a.mlps.every((m, l) => sameMlp(m, b.mlps[l]!))
  );
}
