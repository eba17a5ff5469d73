/**
 * Seconds per 4096 x 4096 module at rank 128 for extract-lora's SVD (the default: randomized
 * subspace iteration on the WebAssembly SIMD matmul), and how exact it is, on task vectors
 * with a known SVD: D = H1 H2 diag(s) H3 H4, the H Householder reflections (dense, and
 * orthogonal by construction), for three spectra:
 *
 *   gap         s_i = 1 / (1 + i/64) up to i = 127, then half of s_127 and decaying slowly
 *   power-law   s_i = (1 + i)^-1/2: no gap anywhere, as full fine-tunes' deltas tend to be
 *   low-rank    64 non-zero singular values (a LoRA fine-tune merged in), the rest 0
 *
 * Printed per spectrum: seconds, rounds, the residual test's value, max |s_i - sigma_i| / s_1,
 * ||B A - D_r||_F / ||D_r||_F (D_r the exact rank-128 truncation), and ||D - B A||_F over the
 * optimal ||D - D_r||_F, computed in the singular bases of D (the reflections applied to the
 * factors), in float64. Usage: npx tsx scripts/bench-extract-lora.ts [SIZE] [RANK]; env
 * SPECTRA=gap,power-law, OVERSAMPLING=N and ROUNDS=N try other settings.
 */
import { uniformAt } from '../workers/rng.ts';
import { SVD_DEFAULTS, truncatedSvd } from '../workers/lora-extract/linalg/truncated-svd.ts';
import type { ColMajor } from '../workers/lora-extract/linalg/matrix.ts';

const size = Number(process.argv[2] ?? 4096);
const rank = Number(process.argv[3] ?? 128);
/** Optional: only these spectra (comma-separated), other oversampling or round limits. */
const only = process.env['SPECTRA']?.split(',');
const svdOptions = {
  ...(process.env['OVERSAMPLING'] && { oversampling: Number(process.env['OVERSAMPLING']) }),
  ...(process.env['ROUNDS'] && { maxIterations: Number(process.env['ROUNDS']) }),
};
const m = size;
const n = size;
const p = Math.min(m, n);

function unitVector(len: number, seed: number): Float64Array {
  const w = Float64Array.from({ length: len }, (_, i) => uniformAt(seed, i) - 0.5);
  const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
  return w.map((x) => x / norm);
}
const [h1, h2] = [unitVector(m, 1), unitVector(m, 2)];
const [h3, h4] = [unitVector(n, 3), unitVector(n, 4)];

/** Applies I - 2 w w^T to the rows (left) of a row-major rows x cols matrix. */
function reflectRows(a: Float64Array, rows: number, cols: number, w: Float64Array): void {
  const t = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j]! += w[i]! * a[i * cols + j]!;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[i * cols + j]! -= 2 * w[i]! * t[j]!;
}
/** Applies I - 2 w w^T to the columns (right). */
function reflectCols(a: Float64Array, rows: number, cols: number, w: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += a[i * cols + j]! * w[j]!;
    for (let j = 0; j < cols; j++) a[i * cols + j]! -= 2 * s * w[j]!;
  }
}
/** H w applied to the rows of a column-major matrix (each column a vector). */
function reflectColumnsOf(x: ColMajor, w: Float64Array): Float64Array {
  const out = Float64Array.from(x.data);
  for (let k = 0; k < x.cols; k++) {
    let s = 0;
    for (let i = 0; i < x.rows; i++) s += w[i]! * out[k * x.rows + i]!;
    for (let i = 0; i < x.rows; i++) out[k * x.rows + i]! -= 2 * s * w[i]!;
  }
  return out;
}

function build(s: Float64Array): Float32Array {
  const a = new Float64Array(m * n);
  for (let i = 0; i < p; i++) a[i * n + i] = s[i]!;
  reflectRows(a, m, n, h2);
  reflectRows(a, m, n, h1);
  reflectCols(a, m, n, h3);
  reflectCols(a, m, n, h4);
  return Float32Array.from(a);
}

const spectra: Record<string, (i: number) => number> = {
  gap: (i) => (i < rank ? 1 / (1 + i / 64) : (0.5 / (1 + (rank - 1) / 64)) * (1 / (1 + (i - rank) / 256))),
  'power-law': (i) => 1 / Math.sqrt(1 + i),
  'low-rank': (i) => (i < 64 ? 1 / (1 + i / 16) : 0),
};

console.log(
  `extract-lora SVD: ${m}x${n}, rank ${rank}, options ${JSON.stringify(svdOptions)} (defaults: ${JSON.stringify(SVD_DEFAULTS)})`,
);
for (const [name, spectrum] of Object.entries(spectra)) {
  if (only && !only.includes(name)) continue;
  const s = Float64Array.from({ length: p }, (_, i) => spectrum(i));
  const d = build(s);
  const started = performance.now();
  const svd = truncatedSvd(d, m, n, rank, svdOptions);
  const seconds = (performance.now() - started) / 1000;
  // D = U S V^T with U = H1 H2 and V = H4 H3 (D = H1 H2 S H3 H4): X = U^T U~ = H2 H1 U~, Y = V^T V~ = H3 H4 V~.
  const x = reflectColumnsOf({ ...svd.u, data: reflectColumnsOf(svd.u, h1) }, h2);
  const y = reflectColumnsOf({ ...svd.v, data: reflectColumnsOf(svd.v, h4) }, h3);
  // In U's and V's bases B A is X S~ Y^T, D_r is diag(s_1..s_r) and D is diag(s): both errors
  // are sums of squares of X S~ Y^T minus a diagonal, row by row (no cancellation).
  const r = svd.s.length;
  let truncSq = 0;
  let fullSq = 0;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let k = 0; k < r; k++) {
      const f = x[k * m + i]! * svd.s[k]!;
      const yo = k * n;
      for (let j = 0; j < n; j++) row[j]! += f * y[yo + j]!;
    }
    let sq = 0;
    for (let j = 0; j < n; j++) sq += row[j]! * row[j]!;
    const diag = i < n ? row[i]! : 0;
    const rest = sq - diag * diag;
    truncSq += rest + (diag - (i < rank ? s[i]! : 0)) ** 2;
    fullSq += rest + (diag - (i < p ? s[i]! : 0)) ** 2;
  }
  const normDr = s.subarray(0, rank).reduce((acc, v) => acc + v * v, 0);
  const normD = s.reduce((acc, v) => acc + v * v, 0);
  const truncErr = Math.sqrt(truncSq / normDr);
  const optimal = Math.sqrt(normD - normDr);
  const achieved = Math.sqrt(fullSq);
  let sErr = 0;
  for (let i = 0; i < r; i++) sErr = Math.max(sErr, Math.abs(svd.s[i]! - s[i]!) / s[0]!);
  console.log(
    `${name.padEnd(10)} ${seconds.toFixed(2)} s  ${svd.method}, ${svd.iterations} rounds, residual ${svd.residual.toExponential(1)}  ` +
      `max|s_i - sigma_i|/s_1 ${sErr.toExponential(1)}  ||BA - D_r||/||D_r|| ${truncErr.toExponential(1)}  ` +
      `||D - BA|| / optimal ${optimal > 0 ? (achieved / optimal).toFixed(5) : 'n/a (rank < r)'}`,
  );
}
