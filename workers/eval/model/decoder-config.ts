/**
 * config.json of a Llama-family decoder (Mixtral: the same with a sparse MoE for its MLP), read
 * into the numbers the forward pass needs, with transformers' defaults for absent keys. Anything the forward pass does not implement (another
 * architecture, an activation other than SiLU, an unknown RoPE scaling) is refused here, by name,
 * rather than evaluated wrongly.
 */
import { UnsupportedModelError } from '../errors.ts';

export const SUPPORTED_ARCHITECTURES = [
  'LlamaForCausalLM',
  'MistralForCausalLM',
  'Qwen2ForCausalLM',
  'MixtralForCausalLM',
] as const;
export type DecoderArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

const MODEL_TYPES: Readonly<Record<string, DecoderArchitecture>> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  mixtral: 'MixtralForCausalLM',
};

export interface DecoderConfig {
  readonly architecture: DecoderArchitecture;
  readonly vocabSize: number;
  readonly hidden: number;
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
  /** Mixtral's sparse MLP: `experts` per layer, the top `perToken` of them used per token. */
  readonly moe: { readonly experts: number; readonly perToken: number } | undefined;
}

type Json = Readonly<Record<string, unknown>>;

function int(config: Json, key: string, model: string, fallback?: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new UnsupportedModelError(
      `${model}/config.json: ${key} must be a positive integer (found ${JSON.stringify(v)})`,
    );
  }
  return v;
}

function num(config: Json, key: string, model: string, fallback: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new UnsupportedModelError(
      `${model}/config.json: ${key} must be a positive number (found ${JSON.stringify(v)})`,
    );
  }
  return v;
}

function architectureOf(config: Json, model: string): DecoderArchitecture {
  const archs = config['architectures'];
  const named = Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : undefined;
  const type = typeof config['model_type'] === 'string' ? config['model_type'] : undefined;
  const arch = named ?? (type === undefined ? undefined : MODEL_TYPES[type]);
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

export function parseDecoderConfig(config: Json, model: string): DecoderConfig {
  const architecture = architectureOf(config, model);
  const hidden = int(config, 'hidden_size', model);
  const heads = int(config, 'num_attention_heads', model);
  const kvHeads = int(config, 'num_key_value_heads', model, heads);
  const headDim = int(config, 'head_dim', model, Math.floor(hidden / heads));
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
  if (architecture === 'Qwen2ForCausalLM' && config['use_sliding_window'] === true) {
    throw new UnsupportedModelError(`${model}: Qwen2 with use_sliding_window is not supported`);
  }
  const window = config['sliding_window'];
  const mixtral = architecture === 'MixtralForCausalLM';
  const slidingWindow =
    (architecture === 'MistralForCausalLM' || mixtral) && typeof window === 'number' && window > 0
      ? window
      : undefined;
  // MixtralConfig's own defaults differ from Llama's.
  const theta = num(config, 'rope_theta', model, mixtral ? 1e6 : 10000);
  return {
    architecture,
    vocabSize: int(config, 'vocab_size', model),
    hidden,
    intermediate: int(config, 'intermediate_size', model),
    layers: int(config, 'num_hidden_layers', model),
    heads,
    kvHeads,
    headDim,
    rmsEps: num(config, 'rms_norm_eps', model, mixtral ? 1e-5 : 1e-6),
    invFreq: scaleFrequencies(ropeFrequencies(headDim, theta), config['rope_scaling'], model),
    tieEmbeddings: config['tie_word_embeddings'] === true,
    slidingWindow,
    moe: mixtral ? moeOf(config, model) : undefined,
  };
}

function moeOf(config: Json, model: string): DecoderConfig['moe'] {
  const experts = int(config, 'num_local_experts', model, 8);
  const perToken = int(config, 'num_experts_per_tok', model, 2);
  if (perToken > experts) {
    throw new UnsupportedModelError(
      `${model}/config.json: num_experts_per_tok ${perToken} is more than num_local_experts ${experts}`,
    );
  }
  return { experts, perToken };
}
