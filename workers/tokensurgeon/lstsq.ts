/**
 * Least squares for the small systems of common_interpolation's `least_squares` and
 * `barycentric` weightings (k unknowns, k <= a few hundred), where mergekit calls
 * torch.linalg.lstsq. Solved as the pseudo-inverse through the eigen-decomposition of AᵀA
 * (Householder and implicit QL, float64: ../linalg/symmetric-eigen.ts): the minimum-norm
 * least-squares solution, which is what LAPACK's drivers give for full-rank and rank-deficient
 * systems alike. Singular values below
 * float32's epsilon x max(m, n) x the largest are treated as zero (torch's default rcond for
 * float32 inputs). Squaring the condition number costs float64 precision a float32 solve has
 * to spare.
 */

import { symmetricEigen } from '../linalg/symmetric-eigen.ts';

const F32_EPS = 1.1920928955078125e-7;
/**
 * The eigenvalues of AᵀA (A m x n) at or below this are dropped: singular values below float32's
 * epsilon x max(m, n) x the largest (torch.linalg.lstsq's default rcond for float32).
 */
export function eigenCut(values: ArrayLike<number>, m: number, n: number): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  return (F32_EPS * Math.max(m, n)) ** 2 * max;
}

/**
 * x minimising |A x - b| (and |x| among those), A given by `at(i, j)` for i < m, j < n.
 */
export function lstsq(
  at: (i: number, j: number) => number,
  m: number,
  n: number,
  b: ArrayLike<number>,
): Float64Array {
  const ata = new Float64Array(n * n);
  const atb = new Float64Array(n);
  const col = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) col[j * m + i] = at(i, j);
  for (let p = 0; p < n; p++) {
    for (let q = p; q < n; q++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += col[p * m + i]! * col[q * m + i]!;
      ata[p * n + q] = s;
      ata[q * n + p] = s;
    }
    let s = 0;
    for (let i = 0; i < m; i++) s += col[p * m + i]! * b[i]!;
    atb[p] = s;
  }
  const { values, vectors } = symmetricEigen(ata, n);
  const cut = eigenCut(values, m, n);
  const x = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const lambda = values[e]!;
    if (!(lambda > cut) || lambda <= 0) continue;
    let proj = 0;
    for (let i = 0; i < n; i++) proj += vectors[i * n + e]! * atb[i]!;
    const f = proj / lambda;
    for (let i = 0; i < n; i++) x[i] = x[i]! + f * vectors[i * n + e]!;
  }
  return x;
}
