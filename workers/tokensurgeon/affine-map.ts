/**
 * x ↦ outShift + (x - inShift) W: how landmark_pca and stb carry a donor embedding into
 * MODEL's space once they have fitted W (in x out, row-major, float64).
 */
export interface AffineMap {
  readonly inDim: number;
  readonly outDim: number;
  readonly inShift: Float64Array;
  readonly weights: Float64Array;
  readonly outShift: Float64Array;
}

export function applyAffine(m: AffineMap, x: ArrayLike<number>, dst: Float32Array): void {
  const acc = Float64Array.from(m.outShift);
  for (let i = 0; i < m.inDim; i++) {
    const v = x[i]! - m.inShift[i]!;
    if (v === 0) continue;
    const base = i * m.outDim;
    for (let j = 0; j < m.outDim; j++) acc[j] = acc[j]! + v * m.weights[base + j]!;
  }
  dst.set(acc);
}

/** Row-major a (n x m) times b (m x p). */
export function matmul(a: Float64Array, b: Float64Array, n: number, m: number, p: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < m; k++) {
      const v = a[i * m + k]!;
      if (v === 0) continue;
      for (let j = 0; j < p; j++) out[i * p + j] = out[i * p + j]! + v * b[k * p + j]!;
    }
  return out;
}

/** The transpose of the row-major n x m `a`. */
export function transposed(a: Float64Array, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = a[i * m + j]!;
  return out;
}
