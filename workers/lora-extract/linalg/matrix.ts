/**
 * The dense matrices of the SVD code: float64, column-major (column j is data[j * rows ..
 * (j + 1) * rows)), because every inner loop of Householder QR and one-sided Jacobi walks a
 * column, and contiguous columns keep those loops on consecutive memory.
 */

export interface ColMajor {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function zeros(rows: number, cols: number): ColMajor {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** A column-major copy of a row-major `rows` x `cols` array (float32 or float64). */
export function fromRowMajor(a: ArrayLike<number>, rows: number, cols: number): ColMajor {
  const out = zeros(rows, cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out.data[j * rows + i] = a[o + j]!;
  }
  return out;
}

export function transpose(a: ColMajor): ColMajor {
  const out = zeros(a.cols, a.rows);
  const { rows, cols, data } = a;
  for (let j = 0; j < cols; j++) {
    const o = j * rows;
    for (let i = 0; i < rows; i++) out.data[i * cols + j] = data[o + i]!;
  }
  return out;
}

/** The first `cols` columns (a copy). */
export function leadingColumns(a: ColMajor, cols: number): ColMajor {
  return { rows: a.rows, cols, data: a.data.slice(0, a.rows * cols) };
}

/**
 * a (m x k) times b (k x n) in float64, column by column of b, four columns of a per pass
 * over the output column (each load and store of it then serves four multiply-adds).
 */
export function multiply(a: ColMajor, b: ColMajor): ColMajor {
  if (a.cols !== b.rows) throw new RangeError(`cannot multiply ${a.rows}x${a.cols} by ${b.rows}x${b.cols}`);
  const m = a.rows;
  const k = a.cols;
  const out = zeros(m, b.cols);
  const ad = a.data;
  const od = out.data;
  for (let j = 0; j < b.cols; j++) {
    const o = j * m;
    const bo = j * k;
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const f0 = b.data[bo + p]!;
      const f1 = b.data[bo + p + 1]!;
      const f2 = b.data[bo + p + 2]!;
      const f3 = b.data[bo + p + 3]!;
      const a0 = p * m;
      const a1 = a0 + m;
      const a2 = a1 + m;
      const a3 = a2 + m;
      for (let i = 0; i < m; i++) {
        od[o + i]! += f0 * ad[a0 + i]! + f1 * ad[a1 + i]! + f2 * ad[a2 + i]! + f3 * ad[a3 + i]!;
      }
    }
    for (; p < k; p++) {
      const f = b.data[bo + p]!;
      const ap = p * m;
      for (let i = 0; i < m; i++) od[o + i]! += f * ad[ap + i]!;
    }
  }
  return out;
}

export function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[xo + i]! * y[yo + i]!;
  return s;
}
