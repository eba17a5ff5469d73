/**
 * The exact SVD: one-sided (Hestenes) Jacobi in float64, after a Householder QR when the
 * matrix is not square (Drmač & Veselić, "New fast and accurate Jacobi SVD algorithm", SIAM J.
 * Matrix Anal. Appl. 29(4), 2008: QR first, then Jacobi on the small triangle). Jacobi rotates
 * pairs of columns until every pair is orthogonal to working precision, so the left singular
 * vectors come out orthogonal whatever their singular values (small ones included) and the
 * singular values to high relative accuracy. It costs about sweeps x n^2 / 2 x 6n flops for
 * an n x n triangle (6 to 10 sweeps): fine for the small matrices it gets (modules with a small
 * side, and the k x k problems of ./randomized-svd.ts), far too slow for a 4096 x 4096 one.
 */
import { drain, type Steps } from '../../linalg/steps.ts';
import { thinQr } from './householder-qr.ts';
import { type ColMajor, multiply, transpose, zeros } from './matrix.ts';

/** A = U diag(s) V^T with s sorted from largest to smallest. */
export interface Svd {
  /** rows x p, p = min(rows, cols); orthonormal columns. */
  readonly u: ColMajor;
  readonly s: Float64Array;
  /** cols x p; orthonormal columns. */
  readonly v: ColMajor;
}

/** Enough for any matrix in practice: quadratic convergence sets in after a few sweeps. */
const MAX_SWEEPS = 60;

export function jacobiSvd(a: ColMajor): Svd {
  return drain(jacobiSvdSteps(a));
}

/** jacobiSvd, yielding after each column of each sweep (../../linalg/steps.ts). */
export function* jacobiSvdSteps(a: ColMajor): Steps<Svd> {
  if (a.rows < a.cols) {
    const t = yield* jacobiSvdSteps(transpose(a));
    return { u: t.v, s: t.s, v: t.u };
  }
  if (a.rows > a.cols) {
    const { q, r } = thinQr(a);
    const inner = yield* squareJacobi(r);
    return { u: multiply(q, inner.u), s: inner.s, v: inner.v };
  }
  return yield* squareJacobi(a);
}

/** One-sided Jacobi on a square (or tall) matrix, rows >= cols. */
function* squareJacobi(a: ColMajor): Steps<Svd> {
  const { rows: m, cols: n } = a;
  const x = Float64Array.from(a.data);
  const v = zeros(n, n);
  const vd = v.data;
  for (let j = 0; j < n; j++) vd[j * n + j] = 1;
  const norms = new Float64Array(n);
  // A pair counts as orthogonal when |x_p . x_q| <= tol |x_p| |x_q| (LAPACK's dgesvj uses
  // sqrt(m) eps; a little more keeps the last sweep from chasing rounding).
  const tol = Number.EPSILON * Math.max(4, Math.sqrt(m));
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    for (let j = 0; j < n; j++) norms[j] = sumSquares(x, j * m, m);
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      const po = p * m;
      for (let q = p + 1; q < n; q++) {
        const alpha = norms[p]!;
        const beta = norms[q]!;
        if (alpha === 0 || beta === 0) continue;
        const qo = q * m;
        let gamma = 0;
        for (let i = 0; i < m; i++) gamma += x[po + i]! * x[qo + i]!;
        if (Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        // The rotation that zeroes gamma, the smaller of the two angles (Rutishauser's formulas).
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const xp = x[po + i]!;
          const xq = x[qo + i]!;
          x[po + i] = c * xp - s * xq;
          x[qo + i] = s * xp + c * xq;
        }
        const vp = p * n;
        const vq = q * n;
        for (let i = 0; i < n; i++) {
          const a1 = vd[vp + i]!;
          const a2 = vd[vq + i]!;
          vd[vp + i] = c * a1 - s * a2;
          vd[vq + i] = s * a1 + c * a2;
        }
        norms[p] = alpha - t * gamma;
        norms[q] = beta + t * gamma;
      }
      yield;
    }
    if (!rotated) break;
  }
  return normalise(x, v, m, n);
}

function sumSquares(x: Float64Array, o: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[o + i]! * x[o + i]!;
  return s;
}

/** Singular values are the columns' lengths, U the columns scaled to 1; sorted, largest first. */
function normalise(x: Float64Array, v: ColMajor, m: number, n: number): Svd {
  const sig = new Float64Array(n);
  for (let j = 0; j < n; j++) sig[j] = Math.sqrt(sumSquares(x, j * m, m));
  const order = [...sig.keys()].sort((i, j) => sig[j]! - sig[i]! || i - j);
  const u = zeros(m, n);
  const vs = zeros(n, n);
  const s = new Float64Array(n);
  order.forEach((from, to) => {
    s[to] = sig[from]!;
    vs.data.set(v.data.subarray(from * n, from * n + n), to * n);
    const f = sig[from]! > 0 ? 1 / sig[from]! : 0;
    for (let i = 0; i < m; i++) u.data[to * m + i] = x[from * m + i]! * f;
  });
  completeBasis(u, s);
  return { u, s, v: vs };
}

/**
 * Columns of exact zeros (singular value 0) get unit vectors orthogonal to the others, so that
 * U is orthonormal as LAPACK's is: Gram-Schmidt, twice, of e_0, e_1, ... against the columns.
 */
function completeBasis(u: ColMajor, s: Float64Array): void {
  const { rows: m, cols: n, data } = u;
  let candidate = 0;
  for (let j = 0; j < n; j++) {
    if (s[j]! > 0) continue;
    for (; candidate < m; candidate++) {
      const w = new Float64Array(m);
      w[candidate] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let c = 0; c < n; c++) {
          if (c === j || (s[c] === 0 && c > j)) continue;
          let d = 0;
          for (let i = 0; i < m; i++) d += data[c * m + i]! * w[i]!;
          for (let i = 0; i < m; i++) w[i]! -= d * data[c * m + i]!;
        }
      }
      const norm = Math.sqrt(sumSquares(w, 0, m));
      if (norm > 0.5) {
        for (let i = 0; i < m; i++) data[j * m + i] = w[i]! / norm;
        candidate++;
        break;
      }
    }
  }
}
