/**
 * mergekit's `stb` method (sparse token basis): a basis of the embedding space built from
 * shared tokens, the same in both models, then least squares in it.
 *
 * 1. On the side with the smaller hidden size d (MODEL's when equal), the principal axes of the
 *    shared tokens' centred rows are each approximated by OMP (./omp.ts) as a combination of
 *    -k of those centred rows.
 * 2. Each combination applied to the shared tokens' (uncentred) rows gives basis vector i in
 *    DONOR's space (B, d x DONOR's width) and in MODEL's (O, d x MODEL's width).
 * 3. A new token's donor row less DONOR's mean row (over the whole matrix) is expressed in B by
 *    least squares (minimum norm, as torch.linalg.lstsq), and those coefficients applied to O,
 *    plus MODEL's mean row:  row = mean_O + (x - mean_D) Bᵀ (B Bᵀ)⁺ O.
 *
 * mergekit passes its options object where -k belongs, so this method fails there before it
 * starts; -k is used here. Shared tokens that --magikarp marks as junk are left out, as there.
 */
import type { Steps } from '../linalg/steps.ts';
import { symmetricEigenSteps } from '../linalg/symmetric-eigen.ts';
import { matmul, transposed, type AffineMap } from './affine-map.ts';
import { covariance, meanRow, principalAxes } from './embedding-stats.ts';
import { combineRows, type Matrix } from './matrix.ts';
import { eigenCut } from './lstsq.ts';
import { omp } from './omp.ts';
import { RowScan } from './row-scan.ts';

/** (g)⁺ for the Gram matrix g = M Mᵀ (n x n) of an m x n system Mᵀ: lstsq's cut-off. */
function* gramPseudoInverse(g: Float64Array, n: number, m: number): Steps<Float64Array> {
  const { values, vectors } = yield* symmetricEigenSteps(Float64Array.from(g), n);
  const cut = eigenCut(values, m, n);
  const out = new Float64Array(n * n);
  for (let e = 0; e < n; e++) {
    const lambda = values[e]!;
    if (!(lambda > cut) || lambda <= 0) continue;
    for (let i = 0; i < n; i++) {
      const vi = vectors[i * n + e]! / lambda;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] = out[i * n + j]! + vi * vectors[j * n + e]!;
    }
  }
  return out;
}

/**
 * Fits the map from DONOR's space to MODEL's. donorShared and origShared: the shared tokens'
 * rows (row i = the same token); donorMean and origMean: the whole matrices' mean rows.
 */
export function* tokenBasisMap(
  donorShared: Matrix,
  origShared: Matrix,
  donorMean: Float64Array,
  origMean: Float64Array,
  k: number,
): Steps<AffineMap> {
  const src = donorShared.cols < origShared.cols ? donorShared : origShared;
  const d = src.cols;
  const dd = donorShared.cols;
  const od = origShared.cols;
  const mean = meanRow(src);
  // the centred rows, scanned as omp's are (./row-scan.ts)
  const points = RowScan.create(src.rows, d, (r, dst) => {
    for (let j = 0; j < d; j++) dst[j] = src.data[r * d + j]! - mean[j]!;
  });
  const axes = yield* principalAxes(yield* covariance(src, mean), d, d);
  const b = new Float64Array(d * dd);
  const o = new Float64Array(d * od);
  const axis = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) axis[j] = axes[j * d + i]!;
    const c = omp(axis, points, k);
    b.set(combineRows(c.indices, c.coeffs, donorShared), i * dd);
    o.set(combineRows(c.indices, c.coeffs, origShared), i * od);
    yield;
  }
  const g = matmul(b, transposed(b, d, dd), d, dd, d);
  const w = matmul(matmul(transposed(b, d, dd), yield* gramPseudoInverse(g, d, dd), dd, d, d), o, dd, d, od);
  return { inDim: dd, outDim: od, inShift: donorMean, weights: w, outShift: origMean };
}
