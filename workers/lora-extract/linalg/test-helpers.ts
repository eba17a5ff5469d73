/**
 * Test helpers for the SVD code, written independently of it: seeded matrices, matrices with
 * a chosen spectrum (U and V products of Householder reflections, orthogonal by construction),
 * and a slow reference: the eigenvectors of A^T A by the classical two-sided Jacobi eigenvalue
 * method, from which the rank-r truncation is A V_r V_r^T (a projection, which needs neither
 * the singular values nor U).
 */
import { symmetricEigen } from '../../linalg/symmetric-eigen.ts';
import { uniformAt } from '../../rng.ts';

/** Row-major float64 matrix for the tests. */
export interface Dense {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** Seeded standard normal values (Box-Muller on the engine's counter-based uniforms). */
export function gaussian(rows: number, cols: number, seed: number): Dense {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    const u1 = 1 - uniformAt(seed, 2 * i);
    const u2 = uniformAt(seed, 2 * i + 1);
    data[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return { rows, cols, data };
}

export function matmul(a: Dense, b: Dense): Dense {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let p = 0; p < a.cols; p++) {
      const f = a.data[i * a.cols + p]!;
      for (let j = 0; j < b.cols; j++) out[i * b.cols + j]! += f * b.data[p * b.cols + j]!;
    }
  }
  return { rows: a.rows, cols: b.cols, data: out };
}

export function transposeDense(a: Dense): Dense {
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j]!;
  return { rows: a.cols, cols: a.rows, data: out };
}

/** An n x n orthogonal matrix: the product of `count` seeded Householder reflections. */
export function orthogonal(n: number, seed: number, count = 3): Dense {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let h = 0; h < count; h++) {
    const w = gaussian(1, n, seed * 31 + h).data;
    let ww = 0;
    for (const x of w) ww += x * x;
    // Q <- Q (I - 2 w w^T / w.w)
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += q[i * n + j]! * w[j]!;
      s = (2 * s) / ww;
      for (let j = 0; j < n; j++) q[i * n + j]! -= s * w[j]!;
    }
  }
  return { rows: n, cols: n, data: q };
}

/** U diag(s) V^T for seeded orthogonal U (rows x rows) and V (cols x cols). */
export function withSpectrum(rows: number, cols: number, s: readonly number[], seed: number): Dense {
  const u = orthogonal(rows, seed);
  const v = orthogonal(cols, seed + 1000);
  const us = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let k = 0; k < s.length; k++) us[i * cols + k] = u.data[i * rows + k]! * s[k]!;
  return matmul({ rows, cols, data: us }, transposeDense(v));
}

/** Eigenvalues (descending) and eigenvectors (columns, row-major n x n) of a symmetric matrix. */
export function symmetricEigenSorted(a: Dense): { values: Float64Array; vectors: Dense } {
  const n = a.rows;
  const { values: raw, vectors: v } = symmetricEigen(Float64Array.from(a.data), n);
  const order = [...Array(n).keys()].sort((i, j) => raw[j]! - raw[i]!);
  const values = Float64Array.from(order, (i) => raw[i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((from, to) => {
    for (let k = 0; k < n; k++) vectors[k * n + to] = v[k * n + from]!;
  });
  return { values, vectors: { rows: n, cols: n, data: vectors } };
}

/** The reference singular values (sqrt of A^T A's eigenvalues, clamped at 0), descending. */
export function referenceSingularValues(a: Dense): Float64Array {
  const small = a.rows < a.cols ? transposeDense(a) : a;
  const { values } = symmetricEigenSorted(matmul(transposeDense(small), small));
  return values.map((x) => Math.sqrt(Math.max(0, x)));
}

/** The best rank-r approximation A V_r V_r^T, V_r the top r eigenvectors of A^T A. */
export function referenceTruncation(a: Dense, r: number): Dense {
  const { vectors } = symmetricEigenSorted(matmul(transposeDense(a), a));
  const vr = new Float64Array(a.cols * r);
  for (let i = 0; i < a.cols; i++) for (let k = 0; k < r; k++) vr[i * r + k] = vectors.data[i * a.cols + k]!;
  const v = { rows: a.cols, cols: r, data: vr };
  return matmul(matmul(a, v), transposeDense(v));
}

export function frobenius(a: ArrayLike<number>, b?: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - (b ? b[i]! : 0)) ** 2;
  return Math.sqrt(s);
}
