/**
 * Orthogonal matching pursuit (mergekit/tokensurgeon/omp.py batch_omp; "Training-Free Tokenizer
 * Transplantation via Orthogonal Matching Pursuit", https://arxiv.org/abs/2506.06607): k
 * shared tokens chosen greedily, each the one whose donor embedding has the largest absolute
 * inner product with what is left of the target, and the target's least-squares coefficients
 * on all chosen so far, through an incremental QR of the chosen atoms.
 *
 * mergekit keeps Q orthonormal with one Gram-Schmidt pass per atom and a full QR every 256
 * atoms; here each atom takes two Gram-Schmidt passes ("twice is enough"), which keeps Q as
 * orthonormal without the periodic QR. The coefficients agree to rounding. Pure, float64; the
 * scans for the next token go through ./row-scan.ts (a WebAssembly kernel, the same bits).
 */
import type { SparseCombination } from './common-interpolation.ts';
import { row, type Matrix } from './matrix.ts';
import { bestJs, RowScan } from './row-scan.ts';

/** mergekit's eps: the smallest norm an atom's new direction is divided by. */
const EPS = 1e-8;

/** The scan's rows, or a plain matrix's. */
export const pointsOf = (p: Matrix | RowScan): Matrix => (p instanceof RowScan ? p.points : p);

/** The unchosen row with the largest |⟨residual, row⟩| (./row-scan.ts). */
export const bestRow = (p: Matrix | RowScan, residual: Float64Array, chosen: Uint8Array): number =>
  p instanceof RowScan ? p.best(residual, chosen) : bestJs(residual, p, chosen);

export function omp(target: ArrayLike<number>, scan: Matrix | RowScan, k: number): SparseCombination {
  const points = pointsOf(scan);
  const dim = points.cols;
  const n = points.rows;
  const q = new Float64Array(k * dim);
  const r = new Float64Array(k * k);
  const qt = new Float64Array(k); // Qᵀ target
  const chosen = new Uint8Array(n);
  const indices: number[] = [];
  const residual = Float64Array.from({ length: dim }, (_, j) => target[j]!);
  const atom = new Float64Array(dim);
  for (let t = 0; t < k; t++) {
    const best = bestRow(scan, residual, chosen);
    chosen[best] = 1;
    indices.push(best);
    const p = row(points, best);
    for (let j = 0; j < dim; j++) atom[j] = p[j]!;
    for (let pass = 0; pass < (t > 0 ? 2 : 0); pass++) {
      for (let c = 0; c < t; c++) {
        let proj = 0;
        for (let j = 0; j < dim; j++) proj += q[c * dim + j]! * atom[j]!;
        r[c * k + t] = r[c * k + t]! + proj;
        for (let j = 0; j < dim; j++) atom[j] = atom[j]! - proj * q[c * dim + j]!;
      }
    }
    let nrm = 0;
    for (let j = 0; j < dim; j++) nrm += atom[j]! ** 2;
    nrm = Math.sqrt(nrm);
    r[t * k + t] = t === 0 ? nrm : Math.max(nrm, EPS);
    const div = Math.max(nrm, EPS);
    let proj = 0;
    for (let j = 0; j < dim; j++) {
      q[t * dim + j] = atom[j]! / div;
      proj += q[t * dim + j]! * target[j]!;
    }
    qt[t] = proj;
    for (let j = 0; j < dim; j++) residual[j] = residual[j]! - proj * q[t * dim + j]!;
  }
  // R c = Qᵀ target, R upper triangular
  const coeffs = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = qt[i]!;
    for (let j = i + 1; j < k; j++) s -= r[i * k + j]! * coeffs[j]!;
    coeffs[i] = s / r[i * k + i]!;
  }
  return { indices, coeffs };
}
