import { describe, expect, it } from 'vitest';
import { thinQr } from './householder-qr.ts';
import { jacobiSvd, type Svd } from './jacobi-svd.ts';
import { type ColMajor, fromRowMajor, multiply, transpose } from './matrix.ts';
import { frobenius, gaussian, referenceSingularValues, withSpectrum, type Dense } from './test-helpers.ts';

const col = (a: Dense): ColMajor => fromRowMajor(a.data, a.rows, a.cols);

/** max |Q^T Q - I|. */
function orthogonalityError(q: ColMajor): number {
  const g = multiply(transpose(q), q);
  let worst = 0;
  for (let i = 0; i < g.rows; i++)
    for (let j = 0; j < g.cols; j++)
      worst = Math.max(worst, Math.abs(g.data[j * g.rows + i]! - (i === j ? 1 : 0)));
  return worst;
}

/** U diag(s) V^T as a column-major array. */
function reconstruct({ u, s, v }: Svd): Float64Array {
  const us = { ...u, data: u.data.slice() };
  for (let k = 0; k < s.length; k++) for (let i = 0; i < u.rows; i++) us.data[k * u.rows + i]! *= s[k]!;
  return multiply(us, transpose(v)).data;
}

describe('thinQr', () => {
  it('factors a tall matrix into orthonormal Q and upper-triangular R', () => {
    const a = col(gaussian(40, 7, 1));
    const { q, r } = thinQr(a);
    expect(orthogonalityError(q)).toBeLessThan(1e-14);
    for (let j = 0; j < 7; j++) for (let i = j + 1; i < 7; i++) expect(r.data[j * 7 + i]).toBe(0);
    expect(frobenius(multiply(q, r).data, a.data)).toBeLessThan(1e-13 * frobenius(a.data));
  });

  it('gives an orthonormal Q for a rank-deficient matrix (zero and repeated columns)', () => {
    const g = gaussian(30, 2, 2).data;
    const a = new Float64Array(30 * 5);
    a.set(g.subarray(0, 30), 0); // col 0
    a.set(g.subarray(0, 30), 60); // col 2 = col 0
    a.set(g.subarray(30, 60), 90); // col 3; cols 1 and 4 are zero
    const m = { rows: 30, cols: 5, data: a };
    const { q, r } = thinQr(m);
    expect(orthogonalityError(q)).toBeLessThan(1e-14);
    expect(frobenius(multiply(q, r).data, a)).toBeLessThan(1e-13 * frobenius(a));
  });
});

describe('jacobiSvd', () => {
  it('hand-checked: [[3, 0], [4, 5]] has singular values 3 sqrt(5) and sqrt(5)', () => {
    const { s, u, v } = jacobiSvd(col({ rows: 2, cols: 2, data: Float64Array.of(3, 0, 4, 5) }));
    expect(s[0]).toBeCloseTo(3 * Math.sqrt(5), 13);
    expect(s[1]).toBeCloseTo(Math.sqrt(5), 13);
    // v_1 = (1, 1) / sqrt(2) up to sign; u_1 = (1, 3) / sqrt(10) up to the same sign.
    const sign = Math.sign(v.data[0]!);
    expect(v.data[0]! * sign).toBeCloseTo(Math.SQRT1_2, 13);
    expect(v.data[1]! * sign).toBeCloseTo(Math.SQRT1_2, 13);
    expect(u.data[0]! * sign).toBeCloseTo(1 / Math.sqrt(10), 13);
    expect(u.data[1]! * sign).toBeCloseTo(3 / Math.sqrt(10), 13);
  });

  it('hand-checked: a diagonal matrix gives its absolute diagonal, sorted, with signed unit vectors', () => {
    const a = { rows: 3, cols: 3, data: Float64Array.of(1, 0, 0, 0, -4, 0, 0, 0, 2) };
    const { s, u, v } = jacobiSvd(col(a));
    expect([...s]).toEqual([4, 2, 1]);
    // The largest comes from column 1: u_0 = -e_1 if v_0 = e_1.
    expect(Math.abs(v.data[1]!)).toBe(1);
    expect(u.data[1]! * v.data[1]!).toBe(-1);
  });

  it('hand-checked: a rank-one outer product x y^T has one singular value |x| |y|', () => {
    const x = [1, 2, 2]; // |x| = 3
    const y = [3, 4]; // |y| = 5
    const a = Float64Array.from(x.flatMap((xi) => y.map((yj) => xi * yj)));
    const svd = jacobiSvd(col({ rows: 3, cols: 2, data: a }));
    expect(svd.s[0]).toBeCloseTo(15, 12);
    expect(svd.s[1]).toBeLessThan(1e-14);
    expect(orthogonalityError(svd.u)).toBeLessThan(1e-14);
  });

  it('an all-zero matrix: zero singular values, orthonormal U and V', () => {
    const svd = jacobiSvd({ rows: 4, cols: 3, data: new Float64Array(12) });
    expect([...svd.s]).toEqual([0, 0, 0]);
    expect(orthogonalityError(svd.u)).toBeLessThan(1e-15);
    expect(orthogonalityError(svd.v)).toBeLessThan(1e-15);
  });

  it.each([
    [30, 30],
    [50, 20],
    [20, 45],
  ])('random %ix%i: matches the reference, U and V orthonormal, sorted, A = U S V^T', (m, n) => {
    const a = gaussian(m, n, m * 100 + n);
    const svd = jacobiSvd(col(a));
    const ref = referenceSingularValues(a);
    const p = Math.min(m, n);
    expect(svd.s.length).toBe(p);
    for (let i = 0; i < p; i++) expect(svd.s[i]).toBeCloseTo(ref[i]!, 10);
    for (let i = 1; i < p; i++) expect(svd.s[i]).toBeLessThanOrEqual(svd.s[i - 1]!);
    expect(orthogonalityError(svd.u)).toBeLessThan(1e-13);
    expect(orthogonalityError(svd.v)).toBeLessThan(1e-13);
    expect(frobenius(reconstruct(svd), col(a).data)).toBeLessThan(1e-13 * frobenius(a.data));
  });

  it('a chosen spectrum spanning 12 orders of magnitude is found to float64 precision of the largest', () => {
    // Building A rounds it at about 1e-16 x 1e3, so that is the accuracy any method can reach.
    const s = [1e3, 10, 1, 1e-2, 1e-5, 1e-9];
    const a = withSpectrum(12, 6, s, 7);
    const svd = jacobiSvd(col(a));
    s.forEach((x, i) => expect(Math.abs(svd.s[i]! - x)).toBeLessThan(1e-12 * s[0]!));
  });
});
