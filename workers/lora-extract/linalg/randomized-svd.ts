/**
 * The top r singular triplets of a big task vector D (m x n) by randomized subspace iteration
 * with Rayleigh-Ritz (Halko, Martinsson & Tropp, "Finding structure with randomness", SIAM
 * Review 53(2), 2011, algorithms 4.4 and 5.1), iterated until the triplets pass an a-posteriori
 * test instead of for a fixed number of rounds:
 *
 *   V_0 = orth(Gaussian n x k), k = r + oversampling
 *   repeat:  Y = D V;  Q = orth(Y);  Z = D^T Q = V_B S U_B^T (exact small SVD);  U = Q U_B;  V = V_B
 *
 * Each round multiplies the subspace by D D^T once, so the error in the i-th direction shrinks
 * by (s_{k+1} / s_i)^2 per round. The triplets of a round satisfy D^T u_i = s_i v_i by
 * construction; the next round's Y = D V gives the other residual ||D v_i - s_i u_i|| for
 * free, and the iteration stops when, for every i < r, it is below `tolerance` x s_1 (or
 * stops falling, at float32's floor, or after maxIterations rounds). With such residuals and
 * a gap after s_r the result is the exact truncated SVD to float32 precision. Without a gap
 * (s_r ~ s_{r+1}) the truncation itself is ill-defined; the result is then still a near-optimal
 * rank-r approximation (see docs/extract-lora.md for what was measured).
 *
 * Orthonormalising both Y and Z every round (not once per D D^T product) keeps the small
 * singular directions from drowning in float32 rounding. The start is seeded, so a module
 * gives the same factors every run.
 */
import { uniformAt } from '../../rng.ts';
import type { DeltaProducts } from './delta-products.ts';
import { thinQr } from './householder-qr.ts';
import { jacobiSvd } from './jacobi-svd.ts';
import { type ColMajor, leadingColumns, multiply, zeros } from './matrix.ts';

export interface TruncatedSvd {
  /** rows x r. */
  readonly u: ColMajor;
  /** r values, largest first. */
  readonly s: Float64Array;
  /** cols x r. */
  readonly v: ColMajor;
}

export interface RandomizedOptions {
  readonly rank: number;
  /** Extra directions iterated along with the r wanted ones (k = r + oversampling). */
  readonly oversampling: number;
  readonly maxIterations: number;
  /** Stop when every wanted triplet's residual is below tolerance x s_1. */
  readonly tolerance: number;
  readonly seed: number;
}

export interface RandomizedResult extends TruncatedSvd {
  /** Rounds that made the result (each one D V and one D^T Q; one more D V tested it). */
  readonly iterations: number;
  /** max_i<r ||D v_i - s_i u_i|| / s_1 of the result (0 for a zero D). */
  readonly residual: number;
}

/** A round must cut the residual to at most this fraction, or the iteration has stalled. */
const STALL = 1;

/** Seeded standard normal values (Box-Muller). */
function gaussianColumns(rows: number, cols: number, seed: number): ColMajor {
  const out = zeros(rows, cols);
  for (let i = 0; i < out.data.length; i++) {
    const u1 = 1 - uniformAt(seed, 2 * i);
    const u2 = uniformAt(seed, 2 * i + 1);
    out.data[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return out;
}

/** max over i < r of ||y_i - s_i u_i|| / s_1. */
function residualOf(y: ColMajor, u: ColMajor, s: Float64Array, r: number): number {
  const m = y.rows;
  let worst = 0;
  for (let i = 0; i < r; i++) {
    let sum = 0;
    const o = i * m;
    for (let j = 0; j < m; j++) {
      const e = y.data[o + j]! - s[i]! * u.data[o + j]!;
      sum += e * e;
    }
    worst = Math.max(worst, Math.sqrt(sum));
  }
  return s[0]! > 0 ? worst / s[0]! : 0;
}

export function randomizedSvd(d: DeltaProducts, options: RandomizedOptions): RandomizedResult {
  const { rows: m, cols: n } = d;
  const r = options.rank;
  const k = Math.min(r + options.oversampling, m, n);
  if (r < 1 || r > k) throw new RangeError(`rank ${r} is outside 1..${Math.min(m, n)}`);
  let v = thinQr(gaussianColumns(n, k, options.seed)).q;
  type Triplets = { u: ColMajor; s: Float64Array; v: ColMajor; residual: number; iterations: number };
  let current: Omit<Triplets, 'residual'> | undefined;
  let best: Triplets | undefined;
  let iterations = 0;
  for (;;) {
    const y = d.times(v);
    if (current) {
      const res = residualOf(y, current.u, current.s, r);
      const stalled = best !== undefined && res > STALL * best.residual;
      if (!best || res < best.residual) best = { ...current, residual: res };
      if (res <= options.tolerance || stalled || iterations >= options.maxIterations) break;
    }
    const q = thinQr(y).q;
    const z = d.transposeTimes(q); // n x k = V_B S U_B^T
    const small = jacobiSvd(z);
    iterations++;
    current = { u: multiply(q, small.v), s: small.s, v: small.u, iterations };
    v = small.u;
  }
  return {
    u: leadingColumns(best.u, r),
    s: best.s.slice(0, r),
    v: leadingColumns(best.v, r),
    iterations: best.iterations,
    residual: best.residual,
  };
}
