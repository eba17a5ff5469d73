import { describe, expect, it } from 'vitest';
import { jacobiSvd } from '../lora-extract/linalg/jacobi-svd.ts';
import { fromRowMajor } from '../lora-extract/linalg/matrix.ts';
import { procrustesSteps } from './procrustes.ts';
import { drain } from './steps.ts';

/** Seeded values in [-1, 1), with no structure (a plain sin(a + b i) would be rank 2). */
const seeded = (length: number, seed: number): Float64Array =>
  Float64Array.from(
    { length },
    (_, i) => ((Math.abs(Math.sin(seed * 3.7 + i * 12.9898)) * 43758.5453) % 2) - 1,
  );

/** a (n x k) b (k x m), row-major. */
function mul(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += a[i * k + l]! * b[l * m + j]!;
      out[i * m + j] = s;
    }
  return out;
}

function expectOrthogonal(o: Float64Array, n: number): void {
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += o[k * n + i]! * o[k * n + j]!;
      expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-12);
    }
}

/** U Vᵀ and Σ s from the one-sided Jacobi SVD (the solver this replaces in landmark_pca). */
function jacobiPolar(c: Float64Array, n: number): { omega: Float64Array; nuclear: number } {
  const svd = jacobiSvd(fromRowMajor(c, n, n));
  const omega = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < svd.s.length; k++) s += svd.u.data[k * n + i]! * svd.v.data[k * n + j]!;
      omega[i * n + j] = s;
    }
  return { omega, nuclear: svd.s.reduce((a, b) => a + b, 0) };
}

const trace = (o: Float64Array, c: Float64Array, n: number): number => {
  let s = 0;
  for (let i = 0; i < n * n; i++) s += o[i]! * c[i]!;
  return s;
};

describe('procrustesSteps', () => {
  it('is U Vᵀ of the SVD for a full-rank matrix', () => {
    for (const n of [1, 2, 7, 24]) {
      const c = seeded(n * n, n);
      const omega = drain(procrustesSteps(Float64Array.from(c), n));
      expectOrthogonal(omega, n);
      const want = jacobiPolar(c, n).omega;
      omega.forEach((x, i) => expect(Math.abs(x - want[i]!)).toBeLessThan(1e-9));
    }
  });

  it('gives back R for C = R S (R orthogonal, S diagonal positive)', () => {
    const n = 9;
    const r = drain(procrustesSteps(seeded(n * n, 5), n)); // some orthogonal matrix
    const s = new Float64Array(n * n);
    for (let i = 0; i < n; i++) s[i * n + i] = 10 ** (-i / 2); // s down to 1e-4
    const omega = drain(procrustesSteps(mul(r, s, n, n, n), n));
    omega.forEach((x, i) => expect(Math.abs(x - r[i]!)).toBeLessThan(1e-9));
  });

  it('rank-deficient or zero: still orthogonal, and still maximises trace(Ωᵀ C)', () => {
    const n = 12;
    const c = mul(seeded(n * 5, 1), seeded(5 * n, 2), n, 5, n); // rank 5
    const omega = drain(procrustesSteps(Float64Array.from(c), n));
    expectOrthogonal(omega, n);
    expect(trace(omega, c, n)).toBeCloseTo(jacobiPolar(c, n).nuclear, 9);
    expectOrthogonal(drain(procrustesSteps(new Float64Array(n * n), n)), n);
  });
});
