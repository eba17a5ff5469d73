/**
 * Least squares for the small systems of common_interpolation's `least_squares` and
 * `barycentric` weightings (k unknowns, k <= a few hundred), where mergekit calls
 * torch.linalg.lstsq. Solved as the pseudo-inverse through the eigen-decomposition of AᵀA
 * (cyclic Jacobi, float64): the minimum-norm least-squares solution, which is what LAPACK's
 * drivers give for full-rank and rank-deficient systems alike. Singular values below
 * float32's epsilon x max(m, n) x the largest are treated as zero (torch's default rcond for
 * float32 inputs). Squaring the condition number costs float64 precision a float32 solve has
 * to spare.
 */

const F32_EPS = 1.1920928955078125e-7;
const MAX_SWEEPS = 60;

/** Eigenvalues and eigenvectors (columns of v, row-major n x n) of the symmetric `s` (n x n, overwritten). */
export function symmetricEigen(s: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += s[p * n + p]! ** 2;
      for (let q = p + 1; q < n; q++) off += s[p * n + q]! ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = s[p * n + q]!;
        if (apq === 0) continue;
        const theta = (s[q * n + q]! - s[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < n; k++) {
          const skp = s[k * n + p]!;
          const skq = s[k * n + q]!;
          s[k * n + p] = c * skp - sn * skq;
          s[k * n + q] = sn * skp + c * skq;
        }
        for (let k = 0; k < n; k++) {
          const spk = s[p * n + k]!;
          const sqk = s[q * n + k]!;
          s[p * n + k] = c * spk - sn * sqk;
          s[q * n + k] = sn * spk + c * sqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = s[i * n + i]!;
  return { values, vectors: v };
}

/**
 * x minimising |A x - b| (and |x| among those), A given by `at(i, j)` for i < m, j < n.
 */
export function lstsq(
  at: (i: number, j: number) => number,
  m: number,
  n: number,
  b: ArrayLike<number>,
): Float64Array {
  const ata = new Float64Array(n * n);
  const atb = new Float64Array(n);
  const col = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) col[j * m + i] = at(i, j);
  for (let p = 0; p < n; p++) {
    for (let q = p; q < n; q++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += col[p * m + i]! * col[q * m + i]!;
      ata[p * n + q] = s;
      ata[q * n + p] = s;
    }
    let s = 0;
    for (let i = 0; i < m; i++) s += col[p * m + i]! * b[i]!;
    atb[p] = s;
  }
  const { values, vectors } = symmetricEigen(ata, n);
  let max = 0;
  for (const x of values) max = Math.max(max, x);
  const cut = (F32_EPS * Math.max(m, n)) ** 2 * max;
  const x = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const lambda = values[e]!;
    if (!(lambda > cut) || lambda <= 0) continue;
    let proj = 0;
    for (let i = 0; i < n; i++) proj += vectors[i * n + e]! * atb[i]!;
    const f = proj / lambda;
    for (let i = 0; i < n; i++) x[i] = x[i]! + f * vectors[i * n + e]!;
  }
  return x;
}
