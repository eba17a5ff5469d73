/**
 * A decoder's weights laid out for the forward pass, in the arena: per layer, q/k/v fused into
 * one matrix (one pass over the normed input instead of three), and the MLP (./mlp-weights.ts:
 * gate/up fused likewise, or a sparse block's router and experts), each packed for the matmul
 * kernel. Tensor names are transformers' (DeepSeek-MoE: its remote code's); every tensor is
 * checked against config.json, and a tensor the forward pass would not use is an error (it
 * means another architecture, whose numbers would silently be wrong).
 */
import { UnsupportedModelError } from '../errors.ts';
import { Arena } from '../kernels/arena.ts';
import { packedSize, type PackedMatrix } from '../kernels/matmul.ts';
import type { DecoderConfig } from './decoder-config.ts';
import {
  allocateFfn,
  concatBias,
  matrix,
  mlpWeightsSize,
  packConcat,
  packFfn,
  type PackedFfn,
} from './mlp-weights.ts';
import type { DecoderWeights, WeightTensor } from './weights.ts';

export interface Biases {
  /** q/k/v projections (Qwen2, Llama with attention_bias). */
  readonly qkv: boolean;
  readonly o: boolean;
  /** gate/up/down of the dense MLPs (Llama with mlp_bias). */
  readonly mlp: boolean;
}

export interface PackedLayer {
  readonly norm1: Float32Array;
  readonly qkv: PackedMatrix;
  /** Qwen3's q_norm and k_norm, [headDim] each; undefined in the other families. */
  readonly qNorm: Float32Array | undefined;
  readonly kNorm: Float32Array | undefined;
  readonly o: PackedMatrix;
  readonly norm2: Float32Array;
  readonly ffn: PackedFfn;
}

export interface PackedDecoder {
  readonly layers: readonly PackedLayer[];
  readonly norm: Float32Array;
  readonly lmHead: PackedMatrix;
}

const L = (i: number, s: string): string => `model.layers.${i}.${s}`;

export function biasesOf(weights: DecoderWeights): Biases {
  return {
    qkv: weights.has(L(0, 'self_attn.q_proj.bias')),
    o: weights.has(L(0, 'self_attn.o_proj.bias')),
    mlp: weights.has(L(0, 'mlp.gate_proj.bias')),
  };
}

interface Dims {
  readonly h: number;
  readonly q: number;
  readonly kv: number;
  readonly v: number;
}

function dims(c: DecoderConfig): Dims {
  return { h: c.hidden, q: c.heads * c.headDim, kv: c.kvHeads * c.headDim, v: c.vocabSize };
}

/** Floats the packed weights take in the arena. */
export function packedWeightsSize(c: DecoderConfig, b: Biases): number {
  const d = dims(c);
  const s = Arena.slot;
  const qkvN = d.q + 2 * d.kv;
  const attention =
    2 * s(d.h) +
    s(packedSize(qkvN, d.h)) +
    (b.qkv ? s(qkvN) : 0) +
    s(packedSize(d.h, d.q)) +
    (b.o ? s(d.h) : 0) +
    (c.qkNorm ? 2 * s(c.headDim) : 0);
  const mlps = c.mlps.reduce((sum, m) => sum + mlpWeightsSize(m, d.h, b.mlp), 0);
  return c.layers * attention + mlps + s(d.h) + s(packedSize(d.v, d.h));
}

export function allocatePacked(arena: Arena, c: DecoderConfig, b: Biases): PackedDecoder {
  const d = dims(c);
  const layers = c.mlps.map((m) => ({
    norm1: arena.alloc(d.h),
    qkv: matrix(arena, d.q + 2 * d.kv, d.h, b.qkv),
    qNorm: c.qkNorm ? arena.alloc(c.headDim) : undefined,
    kNorm: c.qkNorm ? arena.alloc(c.headDim) : undefined,
    o: matrix(arena, d.h, d.q, b.o),
    norm2: arena.alloc(d.h),
    ffn: allocateFfn(arena, m, d.h, b.mlp),
  }));
  return { layers, norm: arena.alloc(d.h), lmHead: matrix(arena, d.v, d.h, false) };
}

/**
 * Fills `packed` from `weights`, checking every name and shape. Returns the input embedding
 * matrix ([vocab, hidden], used as is for the lookup).
 */
export function packWeights(
  packed: PackedDecoder,
  c: DecoderConfig,
  b: Biases,
  weights: DecoderWeights,
  model: string,
): Float32Array {
  const d = dims(c);
  const used = new Set<string>();
  const get = (name: string, shape: readonly number[]): WeightTensor => {
    const t = weights.get(name);
    if (!t) {
      throw new UnsupportedModelError(`${model} has no tensor ${name}, which a ${c.architecture} needs`);
    }
    if (t.shape.length !== shape.length || t.shape.some((x, i) => x !== shape[i])) {
      throw new UnsupportedModelError(
        `${model}: ${name} has shape [${t.shape.join(', ')}] but config.json implies [${shape.join(', ')}]`,
      );
    }
    used.add(name);
    return t;
  };
  const embed = get('model.embed_tokens.weight', [d.v, d.h]);
  for (let l = 0; l < c.layers; l++) {
    const p = packed.layers[l]!;
    p.norm1.set(get(L(l, 'input_layernorm.weight'), [d.h]).data);
    p.norm2.set(get(L(l, 'post_attention_layernorm.weight'), [d.h]).data);
    const proj = (s: string, n: number, k: number): WeightTensor => get(L(l, `${s}.weight`), [n, k]);
    const bias = (s: string, n: number): WeightTensor => get(L(l, `${s}.bias`), [n]);
    packConcat([proj('self_attn.q_proj', d.q, d.h), proj('self_attn.k_proj', d.kv, d.h), proj('self_attn.v_proj', d.kv, d.h)], p.qkv); // prettier-ignore
    if (b.qkv) concatBias([bias('self_attn.q_proj', d.q), bias('self_attn.k_proj', d.kv), bias('self_attn.v_proj', d.kv)], p.qkv.bias); // prettier-ignore
    packConcat([proj('self_attn.o_proj', d.h, d.q)], p.o);
    if (b.o) concatBias([bias('self_attn.o_proj', d.h)], p.o.bias);
    if (p.qNorm && p.kNorm) {
      p.qNorm.set(get(L(l, 'self_attn.q_norm.weight'), [c.headDim]).data);
      p.kNorm.set(get(L(l, 'self_attn.k_norm.weight'), [c.headDim]).data);
    }
    packFfn(
      p.ffn,
      c.architecture,
      d.h,
      (name, shape) => get(L(l, name), shape),
      (name) => weights.has(L(l, name)),
    );
  }
  packed.norm.set(get('model.norm.weight', [d.h]).data);
  const tied = c.tieEmbeddings || !weights.has('lm_head.weight');
  packConcat([tied ? embed : get('lm_head.weight', [d.v, d.h])], packed.lmHead);
  if (tied) used.add('lm_head.weight'); // some tied checkpoints store the copy anyway
  const unused = [...weights.keys()].filter((n) => !used.has(n));
  if (unused.length > 0) {
    throw new UnsupportedModelError(
      `${model} has tensors a ${c.architecture} does not use (${unused.slice(0, 3).join(', ')}` +
        `${unused.length > 3 ? `, ... ${unused.length} in all` : ''}): is config.json right about its architecture?`,
    );
  }
  return embed.data;
}
