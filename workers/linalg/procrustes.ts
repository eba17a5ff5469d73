/**
 * The orthogonal Procrustes rotation of a square matrix C: the orthogonal Ω closest to C, which
 * maximises trace(Ωᵀ C), Ω = U Vᵀ for C = U S Vᵀ (the polar factor of C).
 *
 * Found without a full SVD: the eigen-decomposition of CᵀC = V S² Vᵀ (./symmetric-eigen.ts's
 * Householder-QL solver, several times faster than one-sided Jacobi at these sizes), then
 * u_i = C v_i, taken in order of decreasing s_i and made orthonormal against the u's before it
 * (Gram-Schmidt, repeated where it cancels much). Where C is rank-deficient (s_i at rounding level), any unit vector
 * orthogonal to the others serves as u_i, as any does for an SVD: here the standard basis
 * vector least in their span, made orthogonal to them. Squaring C costs float64 half its digits in the
 * smallest singular directions, which keeps them finer than a float32 SVD resolves.
 *
 * A ./steps.ts generator, yielding every few rows of each O(n³) stage.
 */
import { dotAt } from './dot.ts';
import { addOuterRows } from './outer-sum.ts';
import type { Steps } from './steps.ts';
import { tridiagonalEigenSteps } from './tridiagonal-eigen.ts';

const ROWS_PER_STEP = 16;
/** Below this fraction of the largest singular value, a direction is rounding: completed instead. */
const RANK_CUT = 1e-10;

/** Ω (row-major n x n) for the row-major n x n `c`. */
export function* procrustesSteps(c: Float64Array, n: number): Steps<Float64Array> {
  // CᵀC: the upper triangle, four rows of C at a time (./outer-sum.ts), then mirrored
  const m = new Float64Array(n * n);
  const rowOf = (k: number): Float64Array => c.subarray(k * n, (k + 1) * n);
  yield* addOuterRows(m, n, rowOf, rowOf, true, ROWS_PER_STEP);
  for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) m[q * n + p] = m[p * n + q]!;
  const { values, rows: v } = yield* tridiagonalEigenSteps(m, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b);
  const sMax = Math.sqrt(Math.max(values[order[0] ?? 0] ?? 0, 0));
  const u = new Float64Array(n * n); // row t: the u of the t-th largest singular value
  const w = new Float64Array(n);
  /** Σ over the u's so far of u[j]²: how much of standard basis vector j they span. */
  const covered = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const vi = v.subarray(order[t]! * n, (order[t]! + 1) * n);
    matVec(c, vi, w, n);
    let norm = orthogonalize(w, u, t, n);
    if (!(norm > RANK_CUT * sMax)) {
      // rank-deficient: the standard basis vector least covered by the u's so far (its part
      // outside their span has squared norm 1 - covered[j] >= (n - t) / n)
      let j = 0;
      for (let k = 1; k < n; k++) if (covered[k]! < covered[j]!) j = k;
      w.fill(0);
      w[j] = 1;
      norm = orthogonalize(w, u, t, n);
    }
    for (let j = 0; j < n; j++) {
      const x = w[j]! / norm;
      u[t * n + j] = x;
      covered[j] = covered[j]! + x * x;
    }
    if (t % ROWS_PER_STEP === ROWS_PER_STEP - 1) yield;
  }
  // Ω = Σ_t u_t v_tᵀ, four t at a time
  const omega = new Float64Array(n * n);
  const uRow = (t: number): Float64Array => u.subarray(t * n, (t + 1) * n);
  const vRow = (t: number): Float64Array => v.subarray(order[t]! * n, (order[t]! + 1) * n);
  yield* addOuterRows(omega, n, uRow, vRow, false, ROWS_PER_STEP);
  return omega;
}

/** out = m x (m row-major n x n). */
function matVec(m: Float64Array, x: Float64Array, out: Float64Array, n: number): void {
  for (let r = 0; r < n; r++) out[r] = dotAt(x, m, r * n, n);
}

/**
 * `w` less its projections on the first `count` rows of `basis`; returns |w| after. A second
 * pass only where the first took off more than half the norm (Kahan and Parlett's "twice is
 * enough"): C's columns v_i are nearly orthogonal already, so most need one.
 */
function orthogonalize(w: Float64Array, basis: Float64Array, count: number, n: number): number {
  let before = norm2(w);
  for (let pass = 0; pass < 2; pass++) {
    for (let b = 0; b < count; b++) {
      const rb = b * n;
      const d = dotAt(w, basis, rb, n);
      for (let k = 0; k < n; k++) w[k] = w[k]! - d * basis[rb + k]!;
    }
    const after = norm2(w);
    if (after > 0.25 * before) return Math.sqrt(after);
    before = after;
  }
  return Math.sqrt(before);
}

const norm2 = (w: Float64Array): number => {
  let s = 0;
  for (let j = 0; j < w.length; j++) s += w[j]! ** 2;
  return s;
};
