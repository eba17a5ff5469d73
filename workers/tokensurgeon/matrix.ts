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
