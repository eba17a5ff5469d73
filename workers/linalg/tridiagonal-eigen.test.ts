import { describe, expect, it } from 'vitest';
import { drain } from './steps.ts';
import { tridiagonalEigenSteps } from './tridiagonal-eigen.ts';

/** A seeded symmetric n x n matrix, with `rank` < n when given (a Gram matrix of rank columns). */
function symmetric(n: number, seed: number, rank?: number): Float64Array {
  const a = new Float64Array(n * n);
  if (rank === undefined) {
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++)
        a[i * n + j] = a[j * n + i] = Math.sin(seed + i * 7.1 + j * 3.3) + (i === j ? 1 : 0);
    return a;
  }
  const x = Float64Array.from({ length: n * rank }, (_, i) => Math.sin(seed * 1.7 + i * 12.9898));
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < rank; k++) s += x[i * rank + k]! * x[j * rank + k]!;
      a[i * n + j] = s;
    }
  return a;
}

function check(original: Float64Array, n: number, tol: number): Float64Array {
  const { values, rows } = drain(tridiagonalEigenSteps(Float64Array.from(original), n));
  let scale = 1e-300;
  for (const v of original) scale = Math.max(scale, Math.abs(v));
  for (let e = 0; e < n; e++) {
    const v = rows.subarray(e * n, (e + 1) * n);
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += original[i * n + k]! * v[k]!;
      expect(Math.abs(av - values[e]! * v[i]!)).toBeLessThan(tol * scale);
    }
    for (let f = e; f < n; f++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += v[k]! * rows[f * n + k]!;
      expect(Math.abs(dot - (e === f ? 1 : 0))).toBeLessThan(tol);
    }
  }
  return values;
}

const sorted = (x: ArrayLike<number>): number[] => Array.from(x).sort((a, b) => a - b);

describe('tridiagonalEigenSteps (Householder, then implicit QL)', () => {
  it('gives orthonormal eigenvectors with A v = λ v', () => {
    for (const n of [1, 2, 3, 5, 17, 64]) check(symmetric(n, n), n, 1e-12);
  });

  it('finds a known spectrum: H D H for a reflection H, with or without vectors', () => {
    const n = 30;
    const d = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 2 : i - 10)); // repeated 2s
    const u = Array.from({ length: n }, (_, i) => Math.cos(i + 0.5));
    const uu = u.reduce((s, x) => s + x * x, 0);
    const h = (i: number, j: number): number => (i === j ? 1 : 0) - (2 * u[i]! * u[j]!) / uu;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        for (let k = 0; k < n; k++) a[i * n + j] = a[i * n + j]! + h(i, k) * d[k]! * h(k, j);
    const want = sorted(d);
    sorted(check(a, n, 1e-12)).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 11));
    const { values, rows } = drain(tridiagonalEigenSteps(Float64Array.from(a), n, false));
    expect(rows.length).toBe(0);
    sorted(values).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 11));
  });

  it('handles repeated and zero eigenvalues, a diagonal matrix and zero rows', () => {
    check(symmetric(40, 3, 6), 40, 1e-12); // rank 6: 34 zero eigenvalues
    // sin(a + b i + c j) + δ: rank 2 plus the identity, so 1 is an eigenvalue 48 times
    const clustered = new Float64Array(50 * 50);
    for (let i = 0; i < 50; i++)
      for (let j = 0; j < 50; j++)
        clustered[i * 50 + j] = Math.sin(1 + i * 7.1 + j * 7.1) + (i === j ? 1 : 0);
    const values = sorted(check(clustered, 50, 1e-12));
    expect(values.filter((v) => Math.abs(v - 1) < 1e-12).length).toBe(48);
    const diagonal = new Float64Array(9);
    [3, 3, -1].forEach((v, i) => (diagonal[i * 3 + i] = v));
    expect(sorted(check(diagonal, 3, 1e-15))).toEqual([-1, 3, 3]);
    expect(sorted(check(new Float64Array(16), 4, 1e-15))).toEqual([0, 0, 0, 0]);
    const identityBlock = symmetric(6, 2);
    for (let k = 0; k < 6; k++) identityBlock[2 * 6 + k] = identityBlock[k * 6 + 2] = 0; // row and column 2 zero
    check(identityBlock, 6, 1e-12);
  });

  it('yields between steps', () => {
    const steps = tridiagonalEigenSteps(symmetric(50, 1), 50);
    let yields = 0;
    while (!steps.next().done) yields++;
    expect(yields).toBeGreaterThanOrEqual(50);
  });
});
