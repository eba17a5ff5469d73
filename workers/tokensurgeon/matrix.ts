/** A dense row-major float32 matrix: an embedding (rows = tokens) or a set of them. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

export function matrix(
  rows: number,
  cols: number,
  data: Float32Array = new Float32Array(rows * cols),
): Matrix {
  if (data.length !== rows * cols)
    throw new RangeError(`a ${rows}x${cols} matrix needs ${rows * cols} values, not ${data.length}`);
  return { rows, cols, data };
}

export function row(m: Matrix, i: number): Float32Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

/** The rows `ids` of `m`, as a new matrix. */
export function gatherRows(m: Matrix, ids: readonly number[]): Matrix {
  const out = new Float32Array(ids.length * m.cols);
  ids.forEach((id, i) => out.set(row(m, id), i * m.cols));
  return matrix(ids.length, m.cols, out);
}

/** Σ coeffs[i] · m[indices[i]], in float64. */
export function combineRows(indices: readonly number[], coeffs: ArrayLike<number>, m: Matrix): Float64Array {
  const acc = new Float64Array(m.cols);
  indices.forEach((idx, i) => {
    const r = row(m, idx);
    const w = coeffs[i]!;
    for (let j = 0; j < m.cols; j++) acc[j] = acc[j]! + w * r[j]!;
  });
  return acc;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>, n = a.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/**
 * a · b[offset .. offset + n), with four accumulators: the scans over every shared token
 * (OMP's correlations, the distances) are most of tokensurgeon's time, and the independent
 * sums let the JIT overlap the multiply-adds (about 1.6x over one running sum).
 */
export function dotAt(a: ArrayLike<number>, b: ArrayLike<number>, offset: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    s0 += a[j]! * b[offset + j]!;
    s1 += a[j + 1]! * b[offset + j + 1]!;
    s2 += a[j + 2]! * b[offset + j + 2]!;
    s3 += a[j + 3]! * b[offset + j + 3]!;
  }
  for (; j < n; j++) s0 += a[j]! * b[offset + j]!;
  return s0 + s1 + (s2 + s3);
}
