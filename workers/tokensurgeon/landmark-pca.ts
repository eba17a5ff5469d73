/**
 * mergekit's `landmark_pca` method: the shared tokens are landmarks seen in both spaces (DONOR's
 * rows A, MODEL's rows B). Both sets are centred and projected on their first
 * e = min(hidden sizes) principal axes, the rotation that best carries A's projections onto B's
 * (orthogonal Procrustes) is fitted, and a new token's donor row goes through the same steps:
 *
 *   row = mean_B + (x - mean_A) V_A Ω V_Bᵀ,   Ω = U Vᵀ where (A V_A)ᵀ (B V_B) = U S Vᵀ
 *
 * (Ω from ../linalg/procrustes.ts, without a full SVD).
 *
 * On the side whose hidden size is e the axes span the whole space, and the result does not
 * depend on them, so only a larger side is decomposed. mergekit applies Ωᵀ instead of Ω (the
 * SVD's factors swapped) on axes from torch.pca_lowrank, a randomised PCA whose signs change
 * from run to run, so its rows change from run to run too; the fitted rotation is used here,
 * which maps a donor space that is a rotation of MODEL's onto it exactly.
 */
import type { Steps } from '../linalg/steps.ts';
import { OuterSum } from '../linalg/outer-sum.ts';
import { procrustesSteps } from '../linalg/procrustes.ts';
import { matmul, transposed, type AffineMap } from './affine-map.ts';
import { covariance, meanRow, principalAxes, ROWS_PER_STEP } from './embedding-stats.ts';
import { row, type Matrix } from './matrix.ts';

/** (a - meanA)ᵀ (b - meanB): a.cols x b.cols, row-major. */
function* crossCovariance(
  a: Matrix,
  meanA: Float64Array,
  b: Matrix,
  meanB: Float64Array,
): Steps<Float64Array> {
  const out = new Float64Array(a.cols * b.cols);
  const sum = new OuterSum(out, a.cols, b.cols, false);
  for (let i = 0; i < a.rows; i++) {
    const ra = row(a, i);
    const rb = row(b, i);
    const [ca, cb] = sum.slot();
    for (let j = 0; j < a.cols; j++) ca[j] = ra[j]! - meanA[j]!;
    for (let j = 0; j < b.cols; j++) cb[j] = rb[j]! - meanB[j]!;
    sum.push();
    if (i % ROWS_PER_STEP === ROWS_PER_STEP - 1) yield;
  }
  sum.finish();
  return out;
}

/** The principal axes (cols x e), or undefined for the identity when e is the full width. */
function* axes(m: Matrix, mean: Float64Array, e: number): Steps<Float64Array | undefined> {
  return m.cols === e ? undefined : yield* principalAxes(yield* covariance(m, mean), m.cols, e);
}

/** Fits the map from DONOR's space (donorShared) to MODEL's (origShared), row i = the same token. */
export function* landmarkPcaMap(donorShared: Matrix, origShared: Matrix): Steps<AffineMap> {
  const a = donorShared;
  const b = origShared;
  const e = Math.min(a.cols, b.cols);
  const meanA = meanRow(a);
  const meanB = meanRow(b);
  const va = yield* axes(a, meanA, e);
  const vb = yield* axes(b, meanB, e);
  // (A V_A)ᵀ (B V_B) = V_Aᵀ (Aᵀ B) V_B
  let c: Float64Array = yield* crossCovariance(a, meanA, b, meanB); // a.cols x b.cols
  if (va) c = matmul(transposed(va, a.cols, e), c, e, a.cols, b.cols);
  if (vb) c = matmul(c, vb, e, b.cols, e);
  let w: Float64Array = yield* procrustesSteps(c, e); // Ω, e x e
  if (va) w = matmul(va, w, a.cols, e, e);
  if (vb) w = matmul(w, transposed(vb, b.cols, e), a.cols, e, b.cols);
  return { inDim: a.cols, outDim: b.cols, inShift: meanA, weights: w, outShift: meanB };
}
