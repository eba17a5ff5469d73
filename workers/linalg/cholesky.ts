/**
 * Cholesky factorisation of a symmetric matrix, in float64: A = L Lᵀ with L lower triangular.
 * It fails exactly when A is not (numerically) positive definite, which is the test torch's
 * `positive_definite` constraint applies (a Cholesky that reports success).
 */

import { drain, type Steps } from './steps.ts';

/** L (row-major n x n, zero above the diagonal), or undefined when `a` is not positive definite. */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array | undefined {
  return drain(choleskySteps(a, n));
}

/** cholesky, yielding after each row (./steps.ts). */
export function* choleskySteps(a: ArrayLike<number>, n: number): Steps<Float64Array | undefined> {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j]!;
    }
    yield;
  }
  return l;
}
