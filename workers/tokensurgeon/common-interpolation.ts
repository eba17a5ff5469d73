/**
 * mergekit's common_interpolation (mergekit/tokensurgeon/common_interpolation.py): a new token
 * is written as a weighted sum of its k nearest shared tokens in the donor's embedding space
 * (euclidean, or cosine with --cosine-similarity); the same weights are then applied to
 * MODEL's embeddings of those tokens (./approximate.ts). Weightings:
 *  - distance_proportional: 1/d (euclidean) or 1-d, i.e. the cosine similarity (cosine),
 *    normalised to sum to one (the sum clamped at 1e-6, as mergekit does);
 *  - barycentric: the affine weights (summing to one) whose combination is closest to the
 *    target, from the bordered Gram system mergekit solves;
 *  - least_squares: the unconstrained weights closest to the target.
 * Pure: float32 in, float64 arithmetic.
 */
import { lstsq } from './lstsq.ts';
import { dot, row, type Matrix } from './matrix.ts';

export const WEIGHT_SCHEMES = ['distance_proportional', 'barycentric', 'least_squares'] as const;
export type WeightScheme = (typeof WEIGHT_SCHEMES)[number];
export type DistanceMetric = 'euclidean' | 'cosine';

/** A target as coefficients on some rows of the shared-token matrices. */
export interface SparseCombination {
  readonly indices: readonly number[];
  readonly coeffs: Float64Array;
}

/** mergekit's clamp on the norm product of its cosine similarity. */
const COSINE_EPS = 1e-6;
/** mergekit's clamp on a euclidean distance before 1/d, and on the weights' sum. */
const WEIGHT_EPS = 1e-6;

export function distances(target: ArrayLike<number>, points: Matrix, metric: DistanceMetric): Float64Array {
  const d = new Float64Array(points.rows);
  const tNorm = Math.sqrt(dot(target, target, points.cols));
  for (let i = 0; i < points.rows; i++) {
    const p = row(points, i);
    if (metric === 'euclidean') {
      let s = 0;
      for (let j = 0; j < points.cols; j++) s += (target[j]! - p[j]!) ** 2;
      d[i] = Math.sqrt(s);
    } else {
      const pNorm = Math.sqrt(dot(p, p));
      d[i] = 1 - dot(target, p, points.cols) / Math.max(tNorm * pNorm, COSINE_EPS);
    }
  }
  return d;
}

/** The k smallest, nearest first (ties: the lower index first). */
export function nearest(d: Float64Array, k: number): number[] {
  const order = Array.from(d.keys());
  order.sort((a, b) => d[a]! - d[b]! || a - b);
  return order.slice(0, k);
}

export function landmarkWeights(
  target: ArrayLike<number>,
  points: Matrix,
  indices: readonly number[],
  d: Float64Array,
  scheme: WeightScheme,
  metric: DistanceMetric,
): Float64Array {
  const k = indices.length;
  const dim = points.cols;
  if (scheme === 'distance_proportional') {
    const w = Float64Array.from(indices, (i) =>
      metric === 'cosine' ? 1 - d[i]! : 1 / Math.max(d[i]!, WEIGHT_EPS),
    );
    const sum = Math.max(
      w.reduce((a, b) => a + b, 0),
      WEIGHT_EPS,
    );
    return w.map((x) => x / sum);
  }
  const p = (j: number): Float32Array => row(points, indices[j]!);
  if (scheme === 'least_squares') {
    return lstsq((i, j) => p(j)[i]!, dim, k, target);
  }
  // barycentric: [P Pᵀ 1; 1ᵀ 0] [w; λ] = [P t; 1]
  const gram = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = a; b < k; b++) gram[a * k + b] = gram[b * k + a] = dot(p(a), p(b));
  const rhs = new Float64Array(k + 1);
  for (let a = 0; a < k; a++) rhs[a] = dot(target, p(a), dim);
  rhs[k] = 1;
  const at = (i: number, j: number): number => (i < k ? (j < k ? gram[i * k + j]! : 1) : j < k ? 1 : 0);
  return lstsq(at, k + 1, k + 1, rhs).subarray(0, k);
}

/** mergekit's common_interp_approximate for one target. */
export function commonInterpolation(
  target: ArrayLike<number>,
  points: Matrix,
  k: number,
  metric: DistanceMetric,
  scheme: WeightScheme,
): SparseCombination {
  const d = distances(target, points, metric);
  const indices = nearest(d, k);
  return { indices, coeffs: landmarkWeights(target, points, indices, d, scheme, metric) };
}
