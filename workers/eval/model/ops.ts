/**
 * The cheap elementwise parts of a Llama-family layer, in plain JS: rotary embeddings in
 * Hugging Face's "rotate half" layout, the masked softmax of attention (its exponentials go
 * to the vector kernels) and Qwen3's per-head RMSNorm of q and k. Results are float32, matching transformers' float32 forward pass to
 * rounding.
 */
import type { VectorOps } from '../kernels/vector-ops.ts';

/** cos and sin of position * frequency, [positions, headDim / 2] each. */
export function ropeTables(
  invFreq: Float64Array,
  positions: number,
): { cos: Float32Array; sin: Float32Array } {
  const half = invFreq.length;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      // transformers computes the angle in float32; so do we, then cos/sin of that angle.
      const angle = Math.fround(p * Math.fround(invFreq[i]!));
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/**
 * Rotates `heads` consecutive heads of `headDim` in each of `rows` rows (stride `ld`, starting
 * at column `col`), row r at position start + r: pairs (i, i + headDim/2), "rotate half".
 */
export function applyRope(
  buf: Float32Array,
  ld: number,
  col: number,
  rows: number,
  heads: number,
  headDim: number,
  start: number,
  tables: { cos: Float32Array; sin: Float32Array },
): void {
  const half = headDim / 2;
  const { cos, sin } = tables;
  for (let r = 0; r < rows; r++) {
    const t = (start + r) * half;
    for (let h = 0; h < heads; h++) {
      const o = r * ld + col + h * headDim;
      for (let i = 0; i < half; i++) {
        const x1 = buf[o + i]!;
        const x2 = buf[o + half + i]!;
        const c = cos[t + i]!;
        const s = sin[t + i]!;
        buf[o + i] = Math.fround(x1 * c) - Math.fround(x2 * s);
        buf[o + half + i] = Math.fround(x2 * c) + Math.fround(x1 * s);
      }
    }
  }
}

/**
 * Causal softmax over `rows` rows of scores (stride `ld`), unnormalised: row r is the query at
 * position start + r and sees keys lo = max(0, p - window + 1) .. p; those become
 * exp((s - max) * scale), the others up to column `limit` become 0, and inv[r] = 1 / their sum
 * (the caller scales the attention output instead of every probability).
 */
export function causalSoftmax(
  vec: VectorOps,
  s: Float32Array,
  ld: number,
  rows: number,
  start: number,
  limit: number,
  scale: number,
  window: number | undefined,
  inv: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * ld;
    const p = start + r;
    const lo = window === undefined ? 0 : Math.max(0, p - window + 1);
    const hi = Math.min(p, limit - 1);
    let max = -Infinity;
    for (let j = lo; j <= hi; j++) if (s[o + j]! > max) max = s[o + j]!;
    inv[r] = 1 / vec.expSum(s, o + lo, hi - lo + 1, max, scale);
    s.fill(0, o, o + lo);
    s.fill(0, o + hi + 1, o + limit);
  }
}

/**
 * RMSNorm over each of `heads` consecutive heads of `headDim` in each of `rows` rows (stride
 * `ld`, from column `col`), in place, with one weight vector for every head: Qwen3's q_norm and
 * k_norm, which transformers applies to the projections before RoPE.
 */
export function headRmsNorm(
  vec: VectorOps,
  buf: Float32Array,
  ld: number,
  col: number,
  rows: number,
  heads: number,
  headDim: number,
  w: Float32Array,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const x = buf.subarray(r * ld + col, r * ld + col + heads * headDim);
    vec.rmsNorm(x, w, x, heads, headDim, eps);
  }
}
