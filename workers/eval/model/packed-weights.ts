/**
 * A decoder's weights laid out for the forward pass, in the arena: per layer, q/k/v fused into
 * one matrix (one pass over the normed input instead of three), gate/up fused likewise, each
 * packed for the matmul kernel. A Mixtral layer has one such MLP per expert (w1 | w3, w2) and its
 * router. Tensor names are transformers' Llama/Mistral/Qwen2/Mixtral names; every
 * tensor is checked against config.json, and a tensor the forward pass would not use is an
 * error (it means another architecture, whose numbers would silently be wrong).
 */
import { UnsupportedModelError } from '../errors.ts';
import { Arena } from '../kernels/arena.ts';
import { packedSize, packRows, type PackedMatrix } from '../kernels/matmul.ts';
import type { DecoderConfig } from './decoder-config.ts';
import type { DecoderWeights, WeightTensor } from './weights.ts';

export interface Biases {
  /** q/k/v projections (Qwen2, Llama with attention_bias). */
  readonly qkv: boolean;
  readonly o: boolean;
  /** gate/up/down (Llama with mlp_bias). */
  readonly mlp: boolean;
}

export interface PackedMlp {
  readonly gateUp: PackedMatrix;
  readonly down: PackedMatrix;
}

export interface PackedLayer {
  readonly norm1: Float32Array;
  readonly qkv: PackedMatrix;
  readonly o: PackedMatrix;
  readonly norm2: Float32Array;
  /** The MLP; a Mixtral layer's experts, in order. */
  readonly mlps: readonly PackedMlp[];
  /** Mixtral's router, [experts, hidden]; undefined for a dense MLP. */
  readonly router: PackedMatrix | undefined;
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
  readonly i: number;
  readonly v: number;
  /** MLPs per layer (Mixtral's experts; 1 for a dense MLP). */
  readonly e: number;
}

function dims(c: DecoderConfig): Dims {
  return {
    h: c.hidden,
    q: c.heads * c.headDim,
    kv: c.kvHeads * c.headDim,
    i: c.intermediate,
    v: c.vocabSize,
    e: c.moe?.experts ?? 1,
  };
}

/** Floats the packed weights take in the arena. */
export function packedWeightsSize(c: DecoderConfig, b: Biases): number {
  const d = dims(c);
  const s = Arena.slot;
  const qkvN = d.q + 2 * d.kv;
  const layer =
    2 * s(d.h) +
    s(packedSize(qkvN, d.h)) +
    (b.qkv ? s(qkvN) : 0) +
    s(packedSize(d.h, d.q)) +
    (b.o ? s(d.h) : 0) +
    d.e * (s(packedSize(2 * d.i, d.h)) + s(packedSize(d.h, d.i))) +
    (c.moe ? s(packedSize(d.e, d.h)) : 0) +
    (b.mlp ? s(2 * d.i) + s(d.h) : 0);
  return c.layers * layer + s(d.h) + s(packedSize(d.v, d.h));
}

function matrix(arena: Arena, n: number, k: number, bias: boolean): PackedMatrix {
  return { n, k, data: arena.alloc(packedSize(n, k)), bias: bias ? arena.alloc(n) : undefined };
}

export function allocatePacked(arena: Arena, c: DecoderConfig, b: Biases): PackedDecoder {
  const d = dims(c);
  const layers: PackedLayer[] = [];
  for (let l = 0; l < c.layers; l++) {
    layers.push({
      norm1: arena.alloc(d.h),
      qkv: matrix(arena, d.q + 2 * d.kv, d.h, b.qkv),
      o: matrix(arena, d.h, d.q, b.o),
      norm2: arena.alloc(d.h),
      mlps: Array.from({ length: d.e }, () => ({
        gateUp: matrix(arena, 2 * d.i, d.h, b.mlp),
        down: matrix(arena, d.h, d.i, b.mlp),
      })),
      router: c.moe ? matrix(arena, d.e, d.h, false) : undefined,
    });
  }
  return { layers, norm: arena.alloc(d.h), lmHead: matrix(arena, d.v, d.h, false) };
}

/** Packs [n_i, k] matrices stacked as one [sum n_i, k] matrix (q|k|v, gate|up). */
function packConcat(parts: readonly WeightTensor[], out: PackedMatrix): void {
  packRows(
    parts.map((p) => ({ data: p.data, rows: p.shape[0]! })),
    out.k,
    out.data,
  );
}

function concatBias(parts: readonly WeightTensor[], out: Float32Array | undefined): void {
  if (!out) return;
  let o = 0;
  for (const p of parts) {
    out.set(p.data, o);
    o += p.data.length;
  }
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
    if (p.router) {
      packConcat([proj('block_sparse_moe.gate', d.e, d.h)], p.router);
      for (const [e, mlp] of p.mlps.entries()) {
        const x = `block_sparse_moe.experts.${e}`;
        packConcat([proj(`${x}.w1`, d.i, d.h), proj(`${x}.w3`, d.i, d.h)], mlp.gateUp);
        packConcat([proj(`${x}.w2`, d.h, d.i)], mlp.down);
      }
      continue;
    }
    const mlp = p.mlps[0]!;
    packConcat([proj('mlp.gate_proj', d.i, d.h), proj('mlp.up_proj', d.i, d.h)], mlp.gateUp);
    packConcat([proj('mlp.down_proj', d.h, d.i)], mlp.down);
    if (b.mlp) {
      concatBias([bias('mlp.gate_proj', d.i), bias('mlp.up_proj', d.i)], mlp.gateUp.bias);
      concatBias([bias('mlp.down_proj', d.h)], mlp.down.bias);
    }
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
