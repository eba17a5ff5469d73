/**
 * Thin QR by Householder reflections in float64 (Golub & Van Loan, Matrix Computations,
 * 4th ed., algorithm 5.2.1, with Q accumulated backwards as in 5.1.6). Householder rather than
 * Gram-Schmidt or Cholesky QR because Q comes out orthonormal to float64 precision whatever
 * the condition of A, also when A is rank deficient (a fine-tune that changed a module in
 * fewer directions than the rank asked for): a zero column gets a unit column of Q all the
 * same, orthogonal to the others.
 */
import { type ColMajor, zeros } from './matrix.ts';

export interface ThinQr {
  /** rows x cols, orthonormal columns. */
  readonly q: ColMajor;
  /** cols x cols, upper triangular. */
  readonly r: ColMajor;
}

export function thinQr(a: ColMajor): ThinQr {
  const { rows: m, cols: k } = a;
  if (m < k) throw new RangeError(`thin QR needs rows >= cols, not ${m}x${k}`);
  // The reflectors' vectors v_j overwrite column j from row j down; tau_j = 2 / (v_j . v_j).
  const w = Float64Array.from(a.data);
  const tau = new Float64Array(k);
  const r = zeros(k, k);
  for (let j = 0; j < k; j++) {
    const cj = j * m;
    for (let i = 0; i < j; i++) r.data[j * k + i] = w[cj + i]!;
    let norm2 = 0;
    for (let i = j; i < m; i++) norm2 += w[cj + i]! * w[cj + i]!;
    if (norm2 === 0) continue; // H_j = I, R[j][j] = 0
    const x0 = w[cj + j]!;
    // alpha has the sign opposite to x0, so that v0 = x0 - alpha never cancels.
    const alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    const v0 = x0 - alpha;
    w[cj + j] = v0;
    tau[j] = 2 / (norm2 - x0 * x0 + v0 * v0);
    r.data[j * k + j] = alpha;
    reflect(w, cj + j, tau[j]!, w, j + 1, k, m, j);
  }
  // Q = H_0 H_1 ... H_{k-1} [I; 0]: H_j changes rows j.. of columns j.. only.
  const q = zeros(m, k);
  const qd = q.data;
  for (let j = 0; j < k; j++) qd[j * m + j] = 1;
  for (let j = k - 1; j >= 0; j--) {
    if (tau[j] !== 0) reflect(w, j * m + j, tau[j]!, qd, j, k, m, j);
  }
  return { q, r };
}

/**
 * Applies I - tau v v^T (v = w[vo .. vo + rows - from)) to rows from.. of columns c0..c1-1 of
 * the column-major `a` (column length `rows`). Four columns at a time, so that each load of v
 * serves four of them: about twice as fast in V8 as one column at a time.
 */
function reflect(
  w: Float64Array,
  vo: number,
  tau: number,
  a: Float64Array,
  c0: number,
  c1: number,
  rows: number,
  from: number,
): void {
  const len = rows - from;
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const a0 = c * rows + from;
    const a1 = a0 + rows;
    const a2 = a1 + rows;
    const a3 = a2 + rows;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < len; i++) {
      const x = w[vo + i]!;
      s0 += x * a[a0 + i]!;
      s1 += x * a[a1 + i]!;
      s2 += x * a[a2 + i]!;
      s3 += x * a[a3 + i]!;
    }
    s0 *= tau;
    s1 *= tau;
    s2 *= tau;
    s3 *= tau;
    for (let i = 0; i < len; i++) {
      const x = w[vo + i]!;
      a[a0 + i]! -= s0 * x;
      a[a1 + i]! -= s1 * x;
      a[a2 + i]! -= s2 * x;
      a[a3 + i]! -= s3 * x;
    }
  }
  for (; c < c1; c++) {
    const a0 = c * rows + from;
    let s = 0;
    for (let i = 0; i < len; i++) s += w[vo + i]! * a[a0 + i]!;
    s *= tau;
    for (let i = 0; i < len; i++) a[a0 + i]! -= s * w[vo + i]!;
  }
}
