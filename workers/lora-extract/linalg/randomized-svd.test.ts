import { describe, expect, it } from 'vitest';
import { deltaProducts } from './delta-products.ts';
import { type ColMajor, multiply, transpose } from './matrix.ts';
import { truncatedSvd, type TruncatedSvdResult } from './truncated-svd.ts';
import {
  frobenius,
  gaussian,
  matmul,
  referenceSingularValues,
  referenceTruncation,
  transposeDense,
  withSpectrum,
  type Dense,
} from './test-helpers.ts';

/** max |Q^T Q - I|. */
function orthogonalityError(q: ColMajor): number {
  const g = multiply(transpose(q), q);
  let worst = 0;
  for (let i = 0; i < g.rows; i++)
    for (let j = 0; j < g.cols; j++)
      worst = Math.max(worst, Math.abs(g.data[j * g.rows + i]! - (i === j ? 1 : 0)));
  return worst;
}

/** U diag(s) V^T, row-major. */
function reconstruct({ u, s, v }: TruncatedSvdResult): Float64Array {
  const out = new Float64Array(u.rows * v.rows);
  for (let i = 0; i < u.rows; i++)
    for (let j = 0; j < v.rows; j++) {
      let x = 0;
      for (let k = 0; k < s.length; k++) x += u.data[k * u.rows + i]! * s[k]! * v.data[k * v.rows + j]!;
      out[i * v.rows + j] = x;
    }
  return out;
}

/** The matrix as the extractor sees it: rounded to float32. */
const f32 = (a: Dense): { d: Float32Array; dense: Dense } => {
  const d = Float32Array.from(a.data);
  return { d, dense: { rows: a.rows, cols: a.cols, data: Float64Array.from(d) } };
};

// 160 x 120 with s_1..s_12 from 1 down to ~0.6, then a gap to 0.2 and a slow tail.
const M = 160;
const N = 120;
const R = 12;
const spectrum = Array.from({ length: N }, (_, i) =>
  i < R ? 1 / (1 + 0.05 * i) : 0.2 / (1 + 0.02 * (i - R)),
);
const gapped = f32(withSpectrum(M, N, spectrum, 11));
const options = { method: 'randomized', oversampling: 8 } as const;
const col = (x: Dense): ColMajor => ({ rows: x.rows, cols: x.cols, data: transposeDense(x).data });

describe('delta products', () => {
  it.each(['auto', 'js'] as const)('D V and D^T Q match a float64 product (%s backend)', (backend) => {
    const a = gaussian(37, 29, 5);
    const d = Float32Array.from(a.data);
    const p = deltaProducts(d, 37, 29, 11, backend);
    expect(p.kind).toBe(backend === 'js' ? 'js' : 'wasm-simd');
    const v = gaussian(29, 11, 6);
    const q = gaussian(37, 11, 7);
    const dense = { rows: 37, cols: 29, data: Float64Array.from(d) };
    const dv = col(matmul(dense, v));
    const dtq = col(matmul(transposeDense(dense), q));
    expect(frobenius(p.times(col(v)).data, dv.data)).toBeLessThan(1e-5 * frobenius(dv.data));
    expect(frobenius(p.transposeTimes(col(q)).data, dtq.data)).toBeLessThan(1e-5 * frobenius(dtq.data));
  });
});

describe('randomized truncated SVD', () => {
  const result = truncatedSvd(gapped.d, M, N, R, options);

  it('converges: every triplet passes the residual test', () => {
    expect(result.method).toBe('randomized');
    expect(result.residual).toBeLessThan(1e-6);
    expect(result.iterations).toBeGreaterThan(1);
  });

  it('singular values: the reference ones to float32 precision, sorted', () => {
    const ref = referenceSingularValues(gapped.dense);
    expect(result.s.length).toBe(R);
    for (let i = 0; i < R; i++) expect(Math.abs(result.s[i]! - ref[i]!)).toBeLessThan(1e-6);
    for (let i = 1; i < R; i++) expect(result.s[i]).toBeLessThanOrEqual(result.s[i - 1]!);
  });

  it('U and V are orthonormal', () => {
    expect(orthogonalityError(result.u)).toBeLessThan(1e-12);
    expect(orthogonalityError(result.v)).toBeLessThan(1e-12);
  });

  it('U S V^T is the exact rank-r truncation (an independent slow SVD) to float32 precision', () => {
    const exact = referenceTruncation(gapped.dense, R);
    const err = frobenius(reconstruct(result), exact.data) / frobenius(exact.data);
    expect(err).toBeLessThan(3e-6);
  });

  it('the same with the plain-JS matmul, and the same every run', () => {
    const js = truncatedSvd(gapped.d, M, N, R, { ...options, backend: 'js' });
    expect(frobenius(reconstruct(js), reconstruct(result))).toBeLessThan(1e-5);
    const again = truncatedSvd(gapped.d, M, N, R, options);
    expect(again.u.data).toEqual(result.u.data);
    expect(again.s).toEqual(result.s);
  });

  it('a wide matrix: the same as its transpose', () => {
    const wide = f32(transposeDense(withSpectrum(M, N, spectrum, 11)));
    const t = truncatedSvd(wide.d, N, M, R, options);
    for (let i = 0; i < R; i++) expect(t.s[i]).toBeCloseTo(result.s[i]!, 6);
    const exact = referenceTruncation(wide.dense, R);
    expect(frobenius(reconstruct(t), exact.data) / frobenius(exact.data)).toBeLessThan(3e-6);
  });

  it('a matrix of lower rank than asked for: reproduced exactly, orthonormal factors, no NaN', () => {
    const low = f32(withSpectrum(M, N, [3, 2, 1], 4));
    const t = truncatedSvd(low.d, M, N, 8, options);
    expect(t.s.every(Number.isFinite)).toBe(true);
    expect(t.s[2]).toBeCloseTo(1, 6);
    expect(t.s[3]).toBeLessThan(1e-6);
    expect(orthogonalityError(t.u)).toBeLessThan(1e-12);
    expect(orthogonalityError(t.v)).toBeLessThan(1e-12);
    expect(frobenius(reconstruct(t), low.dense.data)).toBeLessThan(1e-6 * frobenius(low.dense.data));
  });

  it('an all-zero matrix gives zero singular values and orthonormal factors', () => {
    const t = truncatedSvd(new Float32Array(M * N), M, N, 4, options);
    expect([...t.s]).toEqual([0, 0, 0, 0]);
    expect(orthogonalityError(t.u)).toBeLessThan(1e-12);
    expect(t.residual).toBe(0);
  });

  it('exact and randomized agree where both apply', () => {
    const exact = truncatedSvd(gapped.d, M, N, R, { method: 'exact' });
    expect(exact.method).toBe('exact');
    expect(frobenius(reconstruct(exact), reconstruct(result))).toBeLessThan(
      3e-6 * frobenius(reconstruct(exact)),
    );
  });
});
