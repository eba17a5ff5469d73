/**
 * Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations, in float64: the
 * one solver behind tokensurgeon's least squares, the MoE gates' condition numbers and the
 * SVD tests' reference values. Sweeps stop when the off-diagonal mass is below 1e-30 of the
 * diagonal's (or after 100 sweeps).
 */

import { drain, type Steps } from './steps.ts';

const MAX_SWEEPS = 100;

export interface SymmetricEigen {
  /** In the diagonal's order (unsorted). */
  readonly values: Float64Array;
  /** Eigenvectors as the columns of a row-major n x n matrix; empty unless asked for. */
  readonly vectors: Float64Array;
}

/** Rotate rows/columns p and q of the row-major n x n `m` by (c, s): M <- Jᵀ M J, or M J alone. */
function rotate(m: Float64Array, n: number, p: number, q: number, c: number, s: number, rows: boolean): void {
  for (let k = 0; k < n; k++) {
    const mkp = m[k * n + p]!;
    const mkq = m[k * n + q]!;
    m[k * n + p] = c * mkp - s * mkq;
    m[k * n + q] = s * mkp + c * mkq;
  }
  if (!rows) return;
  for (let k = 0; k < n; k++) {
    const mpk = m[p * n + k]!;
    const mqk = m[q * n + k]!;
    m[p * n + k] = c * mpk - s * mqk;
    m[q * n + k] = s * mpk + c * mqk;
  }
}

/** Eigenvalues (and, with `withVectors`, eigenvectors) of the symmetric `a` (n x n, overwritten). */
export function symmetricEigen(a: Float64Array, n: number, withVectors = true): SymmetricEigen {
  return drain(symmetricEigenSteps(a, n, withVectors));
}

/** symmetricEigen, yielding after each row of each sweep (./steps.ts). */
export function* symmetricEigenSteps(a: Float64Array, n: number, withVectors = true): Steps<SymmetricEigen> {
  const v = new Float64Array(withVectors ? n * n : 0);
  if (withVectors) for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += a[p * n + p]! ** 2;
      for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    }
    if (off === 0 || off <= 1e-30 * diag) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        rotate(a, n, p, q, c, t * c, true);
        if (withVectors) rotate(v, n, p, q, c, t * c, false);
      }
      yield;
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]!), vectors: v };
}
