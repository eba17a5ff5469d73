/**
 * A module's LoRA factors from the SVD of its task vector D = U S V^T, as mergekit's
 * TaskVectorDecompositionTask makes them:
 *
 *   r = min(max_rank, number of singular values, number above sv_epsilon when it is > 0)
 *   distribute scale:  A = sqrt(S_r) V_r^T,  B = U_r sqrt(S_r)
 *   otherwise:         A = S_r V_r^T,        B = U_r
 *
 * so that B A is the rank-r truncation of D, and PEFT's delta (lora_alpha / r) B A is that
 * too with lora_alpha = r. A Linear's D is [out, in]: A is [r, in], B [out, r]. An
 * embedding's D is [vocab, dim] and mergekit decomposes D^T = V S U^T instead: A is
 * [r, vocab] (lora_embedding_A), B [dim, r] (lora_embedding_B). Each singular pair's sign is
 * whatever the SVD gave (torch's and ours may differ); B A does not depend on it.
 */
import type { TruncatedSvd } from './linalg/randomized-svd.ts';

export interface FactorOptions {
  readonly maxRank: number;
  /** Singular values at or below this are dropped (0: none are). */
  readonly svEpsilon: number;
  readonly distributeScale: boolean;
}

export interface LoraFactors {
  readonly rank: number;
  /** [rank, aCols], row-major. */
  readonly a: Float32Array;
  readonly aShape: readonly [number, number];
  /** [bRows, rank], row-major. */
  readonly b: Float32Array;
  readonly bShape: readonly [number, number];
}

export function loraRank(s: Float64Array, options: FactorOptions): number {
  let r = Math.min(options.maxRank, s.length);
  if (options.svEpsilon > 0) r = Math.min(r, s.filter((x) => x > options.svEpsilon).length);
  return r;
}

/** The factors of D (its SVD given), or of D^T for an embedding. */
export function loraFactors(svd: TruncatedSvd, options: FactorOptions, embedding: boolean): LoraFactors {
  const rank = loraRank(svd.s, options);
  // For D^T the roles of U and V swap.
  const left = embedding ? svd.v : svd.u; // B's columns
  const right = embedding ? svd.u : svd.v; // A's rows
  const outer = left.rows;
  const inner = right.rows;
  const a = new Float32Array(rank * inner);
  const b = new Float32Array(outer * rank);
  for (let k = 0; k < rank; k++) {
    const s = svd.s[k]!;
    const sa = options.distributeScale ? Math.sqrt(s) : s;
    const sb = options.distributeScale ? Math.sqrt(s) : 1;
    const ro = k * inner;
    for (let i = 0; i < inner; i++) a[ro + i] = sa * right.data[ro + i]!;
    const lo = k * outer;
    for (let i = 0; i < outer; i++) b[i * rank + k] = left.data[lo + i]! * sb;
  }
  return { rank, a, aShape: [rank, inner], b, bShape: [outer, rank] };
}
