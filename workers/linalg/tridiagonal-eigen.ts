/**
 * Eigen-decomposition of a symmetric matrix in two steps, in float64: Householder reflections
 * bring it to tridiagonal form (accumulating them into Q, so A = Q T Qᵀ), then the implicit QL
 * method with Wilkinson-type shifts diagonalises T, applying each plane rotation to Q. The
 * classic EISPACK route (tred2 / tql2): about 4n³/3 + 3n³ multiply-adds with vectors, against
 * the 10-20 sweeps of n³-sized work that cyclic Jacobi rotations take, and the rows it touches
 * are contiguous here (Q is kept transposed: row i is eigenvector i).
 *
 * A ../linalg/steps.ts generator, yielding after each Householder step and each converged
 * eigenvalue, so a caller can give the event loop a turn during a large decomposition.
 */
import type { Steps } from './steps.ts';

const EPS = 2 ** -52;
const MAX_ITERATIONS = 60;

export interface Eigen {
  /** Unsorted. */
  readonly values: Float64Array;
  /** Row i is the unit eigenvector of values[i] (row-major n x n). */
  readonly rows: Float64Array;
}

/**
 * One Householder step (rows from the bottom up): zeroes row i left of its subdiagonal in the
 * leading (i + 1) x (i + 1) block of `a`, whose lower triangle holds the matrix. Returns h (the
 * reflection's scale, 0 for none); u / h is kept in column i for the accumulation. `work`: n
 * values of scratch. Loops run along rows, so every inner loop reads contiguous memory.
 */
function reduceRow(
  a: Float64Array,
  n: number,
  i: number,
  off: Float64Array,
  work: Float64Array,
  withVectors: boolean,
): number {
  const l = i - 1;
  const ri = i * n;
  let scale = 0;
  for (let k = 0; k <= l; k++) scale += Math.abs(a[ri + k]!);
  if (l === 0 || scale === 0) {
    off[i] = a[ri + l]!;
    return 0;
  }
  let h = 0;
  for (let k = 0; k <= l; k++) {
    a[ri + k] = a[ri + k]! / scale;
    h += a[ri + k]! ** 2;
  }
  const f = a[ri + l]!;
  const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
  off[i] = scale * g;
  h -= f * g;
  a[ri + l] = f - g;
  // p = A u over the leading block, reading A's lower triangle row by row
  work.fill(0, 0, l + 1);
  for (let k = 0; k <= l; k++) {
    const rk = k * n;
    const uk = a[ri + k]!;
    let s = 0;
    for (let j = 0; j < k; j++) {
      s += a[rk + j]! * a[ri + j]!;
      work[j] = work[j]! + a[rk + j]! * uk;
    }
    work[k] = work[k]! + s + a[rk + k]! * uk;
  }
  let fsum = 0;
  for (let j = 0; j <= l; j++) {
    if (withVectors) a[j * n + i] = a[ri + j]! / h;
    off[j] = work[j]! / h;
    fsum += off[j]! * a[ri + j]!;
  }
  const hh = fsum / (h + h);
  for (let j = 0; j <= l; j++) off[j] = off[j]! - hh * a[ri + j]!;
  // A <- A - u qᵀ - q uᵀ (lower triangle)
  for (let j = 0; j <= l; j++) {
    const fj = a[ri + j]!;
    const gj = off[j]!;
    const rj = j * n;
    for (let k = 0; k <= j; k++) a[rj + k] = a[rj + k]! - (fj * off[k]! + gj * a[ri + k]!);
  }
  return h;
}

/** Folds reflection i into the accumulated Q (its leading i x i block), row by row. */
function accumulate(a: Float64Array, n: number, i: number, h: number, work: Float64Array): void {
  const l = i - 1;
  const ri = i * n;
  if (h !== 0) {
    // g = (row i) A_block, then A_block -= (column i) g
    work.fill(0, 0, l + 1);
    for (let k = 0; k <= l; k++) {
      const x = a[ri + k]!;
      if (x === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= l; j++) work[j] = work[j]! + x * a[rk + j]!;
    }
    for (let k = 0; k <= l; k++) {
      const y = a[k * n + i]!;
      if (y === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= l; j++) a[rk + j] = a[rk + j]! - work[j]! * y;
    }
  }
  a[ri + i] = 1;
  for (let j = 0; j <= l; j++) {
    a[j * n + i] = 0;
    a[ri + j] = 0;
  }
}

function transposeInPlace(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const t = a[i * n + j]!;
      a[i * n + j] = a[j * n + i]!;
      a[j * n + i] = t;
    }
}

/**
 * Householder tridiagonalisation of the symmetric `a` (row-major n x n, overwritten with the
 * accumulated orthogonal factor, transposed: row i of `a` is column i of Q). Returns the
 * diagonal and the off-diagonal (off[i] couples i - 1 and i; off[0] = 0).
 */
function* tridiagonalize(
  a: Float64Array,
  n: number,
  withVectors: boolean,
): Steps<{ diag: Float64Array; off: Float64Array }> {
  const diag = new Float64Array(n);
  const off = new Float64Array(n);
  const h = new Float64Array(n);
  const work = new Float64Array(n);
  for (let i = n - 1; i > 0; i--) {
    h[i] = reduceRow(a, n, i, off, work, withVectors);
    yield;
  }
  if (!withVectors) {
    for (let i = 0; i < n; i++) diag[i] = a[i * n + i]!;
    return { diag, off };
  }
  for (let i = 0; i < n; i++) {
    diag[i] = a[i * n + i]!;
    accumulate(a, n, i, h[i]!, work);
    if (i % 16 === 15) yield;
  }
  transposeInPlace(a, n);
  return { diag, off };
}

/** Rotates eigenvector rows i and i + 1 (starting at `ri`) by (c, s). */
function rotateRows(q: Float64Array, ri: number, n: number, s: number, c: number): void {
  const ri1 = ri + n;
  for (let k = 0; k < n; k++) {
    const f = q[ri1 + k]!;
    const x = q[ri + k]!;
    q[ri1 + k] = s * x + c * f;
    q[ri + k] = c * x - s * f;
  }
}

/** Implicit QL on the tridiagonal (diag, off), rotating the rows of `q` along (unless undefined). */
function* diagonalize(
  diag: Float64Array,
  off: Float64Array,
  q: Float64Array | undefined,
  n: number,
): Steps<void> {
  const e = new Float64Array(n);
  for (let i = 1; i < n; i++) e[i - 1] = off[i]!;
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(diag[m]!) + Math.abs(diag[m + 1]!);
        if (Math.abs(e[m]!) <= EPS * dd) break;
      }
      if (m === l) break;
      if (++iterations > MAX_ITERATIONS)
        throw new Error(`the eigen-solver did not converge (eigenvalue ${l} of ${n})`);
      let g = (diag[l + 1]! - diag[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = diag[m]! - diag[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          diag[i + 1] = diag[i + 1]! - p;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = diag[i + 1]! - p;
        r = (diag[i]! - g) * s + 2 * c * b;
        p = s * r;
        diag[i + 1] = g + p;
        g = c * r - b;
        if (q) rotateRows(q, i * n, n, s, c);
      }
      if (r === 0 && i >= l) continue;
      diag[l] = diag[l]! - p;
      e[l] = g;
      e[m] = 0;
    }
    yield;
  }
}

/**
 * Eigenvalues and (unless `withVectors` is false: then `rows` is empty) eigenvectors of the
 * symmetric `a` (row-major n x n, overwritten).
 */
export function* tridiagonalEigenSteps(a: Float64Array, n: number, withVectors = true): Steps<Eigen> {
  const { diag, off } = yield* tridiagonalize(a, n, withVectors);
  yield* diagonalize(diag, off, withVectors ? a : undefined, n);
  return { values: diag, rows: withVectors ? a : new Float64Array(0) };
}
