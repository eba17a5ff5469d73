/**
 * Statistics of a set of embedding rows, in float64, for the methods that model the whole
 * embedding space (john_hewitt, landmark_pca, stb): the mean row, the covariance (centred
 * Gram matrix over the row count, as mergekit divides), and its principal axes.
 *
 * Cost: rows x cols² / 2 multiply-adds for the covariance and a Householder-QL eigen-solve of
 * cols x cols (../linalg/symmetric-eigen.ts): instant for small models, minutes for a hidden
 * size in the thousands. They are ../linalg/steps.ts generators, yielding every few rows.
 */

/** Rows between yields. */
export const ROWS_PER_STEP = 16;
import { OuterSum } from '../linalg/outer-sum.ts';
import type { Steps } from '../linalg/steps.ts';
import { symmetricEigenSteps } from '../linalg/symmetric-eigen.ts';
import { row, type Matrix } from './matrix.ts';

export function meanRow(m: Matrix): Float64Array {
  const acc = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    const r = row(m, i);
    for (let j = 0; j < m.cols; j++) acc[j] = acc[j]! + r[j]!;
  }
  for (let j = 0; j < m.cols; j++) acc[j] = acc[j]! / m.rows;
  return acc;
}

/** (x - mean)ᵀ (x - mean) / rows, row-major cols x cols. */
export function* covariance(m: Matrix, mean: Float64Array): Steps<Float64Array> {
  const d = m.cols;
  const cov = new Float64Array(d * d);
  const sum = new OuterSum(cov, d, d, true);
  for (let i = 0; i < m.rows; i++) {
    const r = row(m, i);
    const [c] = sum.slot();
    for (let j = 0; j < d; j++) c[j] = r[j]! - mean[j]!;
    sum.push();
    if (i % ROWS_PER_STEP === ROWS_PER_STEP - 1) yield;
  }
  sum.finish();
  for (let p = 0; p < d; p++)
    for (let q = p; q < d; q++) {
      const v = cov[p * d + q]! / m.rows;
      cov[p * d + q] = v;
      cov[q * d + p] = v;
    }
  return cov;
}

/**
 * The `count` eigenvectors of the symmetric `cov` (n x n) with the largest eigenvalues, as the
 * columns of a row-major n x count matrix, largest first: the principal axes (the left
 * singular vectors of a covariance, as mergekit takes them from its SVD).
 */
export function* principalAxes(cov: Float64Array, n: number, count: number): Steps<Float64Array> {
  const { values, vectors } = yield* symmetricEigenSteps(Float64Array.from(cov), n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b);
  const axes = new Float64Array(n * count);
  for (let c = 0; c < count; c++) {
    const e = order[c]!;
    for (let i = 0; i < n; i++) axes[i * count + c] = vectors[i * n + e]!;
  }
  return axes;
}
