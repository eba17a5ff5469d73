/**
 * Router rows (mergekit/moe/router.py get_gate_params), one [experts, hidden] matrix per layer:
 * row e of layer l is the direction whose dot product with the hidden state picks expert e.
 *
 *   random          standard normal draws (torch.randn), not normalised
 *   uniform_random  uniform in +-1/sqrt(hidden), torch.nn.Linear's default initialisation
 *   cheap_embed     the normalised sum of the prompts' token embeddings, the same for every layer
 *   hidden          the mean over prompts of the hidden state entering each layer at the last
 *                   token (./hidden-gates.ts), minus the negatives' mean, normalised
 *
 * The random modes draw from the counter-based RNG of ../rng.ts, keyed by the seed and the
 * layer (the name of a Mixtral router, for every output architecture, so one seed gives the
 * same routers whatever the architecture): torch's generator cannot be reproduced, so the
 * numbers differ from mergekit's while their distribution is the same. Rows after the routed
 * experts' (shared experts) continue the same stream, so adding them changes no expert's row.
 */
import { normalAt, streamKey, uniformAt } from '../rng.ts';

/** Per layer, [experts, hidden] row-major. */
export type GateRows = readonly Float32Array[];

/** mergekit clamps the norm here before dividing. */
const MIN_NORM = 1e-8;

/** The random streams' key for a layer. */
const routerName = (layer: number): string => `model.layers.${layer}.block_sparse_moe.gate.weight`;

export function randomGates(
  mode: 'random' | 'uniform_random',
  numLayers: number,
  numExperts: number,
  hidden: number,
  seed: number,
): Float32Array[] {
  const scale = Math.sqrt(1 / hidden);
  return Array.from({ length: numLayers }, (_, l) => {
    const key = streamKey(seed, routerName(l), 0);
    const rows = new Float32Array(numExperts * hidden);
    for (let i = 0; i < rows.length; i++) {
      rows[i] = mode === 'random' ? normalAt(key, i) : uniformAt(key, i) * 2 * scale - scale;
    }
    return rows;
  });
}

/** `v / max(|v|, 1e-8)`, in place. */
export function normalize(v: Float64Array): Float64Array {
  let sq = 0;
  for (const x of v) sq += x * x;
  const n = Math.max(Math.sqrt(sq), MIN_NORM);
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

/**
 * get_cheap_embedding: the sum of the embedding rows of every token of every prompt (padding
 * is masked out, so each prompt counts its own tokens), normalised.
 */
export function embeddingSum(
  embed: Float32Array,
  hidden: number,
  prompts: readonly Int32Array[],
): Float64Array {
  const sum = new Float64Array(hidden);
  for (const ids of prompts) {
    for (const id of ids) {
      const row = id * hidden;
      for (let j = 0; j < hidden; j++) sum[j]! += embed[row + j]!;
    }
  }
  return normalize(sum);
}

export interface PromptIds {
  readonly positive: readonly Int32Array[];
  readonly negative: readonly Int32Array[];
}

/**
 * cheap_embed: per expert, the normalised embedding sum of its positive prompts, minus that of
 * its negative prompts (each normalised first, as mergekit subtracts two normalised vectors),
 * normalised again; the same rows for every layer.
 */
export function cheapEmbedGates(
  embed: Float32Array,
  hidden: number,
  experts: readonly PromptIds[],
  numLayers: number,
): Float32Array[] {
  const rows = new Float32Array(experts.length * hidden);
  for (const [e, p] of experts.entries()) {
    const v = embeddingSum(embed, hidden, p.positive);
    if (p.negative.length > 0) {
      const neg = embeddingSum(embed, hidden, p.negative);
      for (let j = 0; j < hidden; j++) v[j]! -= neg[j]!;
    }
    rows.set(normalize(v), e * hidden);
  }
  return Array.from({ length: numLayers }, () => rows.slice());
}

/**
 * Layer rows from per-expert, per-layer vectors (hidden mode: the positives' mean minus the
 * negatives' mean), each normalised.
 */
export function gatesFromVectors(
  vectors: readonly (readonly Float64Array[])[],
  hidden: number,
): Float32Array[] {
  const numLayers = vectors[0]?.length ?? 0;
  return Array.from({ length: numLayers }, (_, l) => {
    const rows = new Float32Array(vectors.length * hidden);
    for (const [e, perLayer] of vectors.entries())
      rows.set(normalize(Float64Array.from(perLayer[l]!)), e * hidden);
    return rows;
  });
}
