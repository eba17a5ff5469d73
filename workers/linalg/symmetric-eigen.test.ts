import { describe, expect, it } from 'vitest';
import { symmetricEigen } from './symmetric-eigen.ts';

describe('symmetricEigen', () => {
  it('finds the eigenvalues of a symmetric matrix', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]), 3, false);
    expect([...values].sort((a, b) => a - b).map((x) => +x.toFixed(9))).toEqual([1, 3, 5]);
    expect(vectors.length).toBe(0);
  });

  it('gives orthonormal eigenvectors with A v = lambda v', () => {
    const n = 5;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++)
        a[i * n + j] = a[j * n + i] = Math.sin(1 + i * 7 + j * 3) + (i === j ? 2 : 0);
    const original = Float64Array.from(a);
    const { values, vectors: v } = symmetricEigen(a, n);
    for (let e = 0; e < n; e++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let k = 0; k < n; k++) av += original[i * n + k]! * v[k * n + e]!;
        expect(av).toBeCloseTo(values[e]! * v[i * n + e]!, 12);
      }
      for (let f = 0; f < n; f++) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += v[k * n + e]! * v[k * n + f]!;
        expect(dot).toBeCloseTo(e === f ? 1 : 0, 12);
      }
    }
  });
});
