/**
 * subword, john_hewitt, landmark_pca and stb (./approximate.ts): each checked against what it
 * must give by construction, since mergekit's own numbers need torch (and for john_hewitt its
 * generator, for landmark_pca a randomised PCA).
 */
import { describe, expect, it } from 'vitest';
import { cholesky } from '../linalg/cholesky.ts';
import { drain } from '../linalg/steps.ts';
import { normalAt, streamKey } from '../rng.ts';
import { approximateRows, type ApproximationInput, type ApproximationOptions } from './approximate.ts';
import { covariance, meanRow } from './embedding-stats.ts';
import { TokenSurgeonError } from './errors.ts';
import { matrix, row, type Matrix } from './matrix.ts';
import { wordStartKey } from './normalize-vocab.ts';

const OPTIONS: ApproximationOptions = {
  method: 'omp',
  k: 4,
  cosineSimilarity: false,
  weightScheme: 'distance_proportional',
  seed: 7,
  batchSize: 512,
};

/** Seeded values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(12.9898 * (i + 1) * seed + 78.233) * 0.9 + Math.cos(0.71 * i * (seed + 3)) * 0.1); // prettier-ignore
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol);
};

/** A random orthogonal n x n matrix (Gram-Schmidt on seeded columns). */
function orthogonal(n: number, seed: number): Float64Array {
  const q = Float64Array.from(values(n * n, seed));
  for (let c = 0; c < n; c++) {
    for (let p = 0; p < c; p++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += q[i * n + c]! * q[i * n + p]!;
      for (let i = 0; i < n; i++) q[i * n + c] = q[i * n + c]! - d * q[i * n + p]!;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += q[i * n + c]! ** 2;
    for (let i = 0; i < n; i++) q[i * n + c] = q[i * n + c]! / Math.sqrt(s);
  }
  return q;
}

/** rows x m (n x p) + shift. */
function mapRows(x: Matrix, m: ArrayLike<number>, p: number, shift: number[] = []): Matrix {
  const out = new Float32Array(x.rows * p);
  for (let r = 0; r < x.rows; r++)
    for (let j = 0; j < p; j++) {
      let s = shift[j] ?? 0;
      for (let i = 0; i < x.cols; i++) s += x.data[r * x.cols + i]! * m[i * p + j]!;
      out[r * p + j] = s;
    }
  return matrix(x.rows, p, out);
}

const ids = (n: number, prefix: string, from = 0) => Array.from({ length: n }, (_, i) => [`${prefix}${i}`, from + i] as const); // prettier-ignore

/** Tokens s0..s{n-1} shared at the same ids, then new tokens n0.. in the donor only. */
function spaces(donor: Matrix, orig: Matrix, shared: number): ApproximationInput {
  const targets = ids(donor.rows - shared, 'n', shared).map(([t]) => t);
  return {
    orig,
    donor,
    origVocab: new Map(ids(shared, 's')),
    donorVocab: new Map([...ids(shared, 's'), ...ids(donor.rows - shared, 'n', shared)]),
    targets,
    tensorName: 'model.embed_tokens.weight',
    isLmHead: false,
  };
}

describe('subword', () => {
  const orig = matrix(4, 2, Float32Array.from([1, 2, 10, 20, 100, 200, 5, 5]));
  const pieces: Record<string, number[]> = { ' ab': [0, 1, 2], cd: [3], e: [] };
  const input = (isLmHead: boolean): ApproximationInput => ({
    orig,
    donor: matrix(3, 1),
    origVocab: new Map(),
    donorVocab: new Map([[wordStartKey('ab'), 0], ['cd', 1], ['e', 2]]), // prettier-ignore
    targets: [wordStartKey('ab'), 'cd', 'e'],
    tensorName: 'embed',
    isLmHead,
    encode: (text) => pieces[text]!,
  });
  const rows = async (subwordMethod: ApproximationOptions['subwordMethod'], isLmHead = false) =>
    Array.from((await approximateRows(input(isLmHead), { ...OPTIONS, method: 'subword', ...(subwordMethod && { subwordMethod }) })).data); // prettier-ignore

  it('encodes the token as text (a word start with its space) and averages the pieces by default', async () => {
    expect(await rows(undefined)).toEqual([37, 74, 5, 5, 0, 0]);
    expect(await rows('mean')).toEqual([37, 74, 5, 5, 0, 0]);
  });
  it('sum, weighted_mean and first_last, the embedding favouring the last piece and the head the first', async () => {
    expect(await rows('sum')).toEqual([111, 222, 5, 5, 0, 0]);
    // embed: weights 3, 2, 1; head: 1, 2, 3
    close(await rows('weighted_mean'), [(3 + 20 + 100) / 6, (6 + 40 + 200) / 6, 5, 5, 0, 0], 1e-5);
    close(await rows('weighted_mean', true), [(1 + 20 + 300) / 6, (2 + 40 + 600) / 6, 5, 5, 0, 0], 1e-4);
    expect(await rows('first_last')).toEqual([100, 200, 5, 5, 0, 0]);
    expect(await rows('first_last', true)).toEqual([1, 2, 5, 5, 0, 0]);
  });
  it('refuses a piece beyond MODEL’s rows', async () => {
    pieces.cd = [9];
    await expect(approximateRows(input(false), { ...OPTIONS, method: 'subword' })).rejects.toThrow(
      /encodes "cd" with token id 9, but its matrix has only 4 rows/,
    );
    pieces.cd = [3];
  });
});

describe('john_hewitt', () => {
  const orig = matrix(300, 3, values(900, 2));
  const input = spaces(matrix(302, 2, values(604, 5)), orig, 300);

  it('draws mean + L z with z from the seeded stream, keyed by the donor id', async () => {
    const out = await approximateRows(input, { ...OPTIONS, method: 'john_hewitt' });
    const mean = meanRow(orig);
    const l = cholesky(drain(covariance(orig, mean)), 3)!;
    const key = streamKey(7, 'model.embed_tokens.weight', 0);
    for (const [t, id] of [
      [0, 300],
      [1, 301],
    ]) {
      // prettier-ignore
      const z = [0, 1, 2].map((j) => normalAt(key, id! * 3 + j));
      const want = [0, 1, 2].map((i) => mean[i]! + [0, 1, 2].reduce((s, j) => s + l[i * 3 + j]! * z[j]!, 0));
      close(row(out, t!), want, 1e-6);
    }
  });
  it('has MODEL’s mean and covariance over many draws', async () => {
    const many = spaces(matrix(4300, 1, new Float32Array(4300)), orig, 300);
    const out = await approximateRows(many, { ...OPTIONS, method: 'john_hewitt' });
    const mean = meanRow(orig);
    const drawn = meanRow(out);
    close(drawn, mean, 0.05);
    close(drain(covariance(out, drawn)), drain(covariance(orig, mean)), 0.05);
  });
  it('falls back to 0.02 x standard normal draws, with a warning, when the covariance is singular', async () => {
    const flat = matrix(300, 3, Float32Array.from({ length: 900 }, (_, i) => (i % 3 === 2 ? 1 : values(1, i)[0]!))); // prettier-ignore
    const logs: string[] = [];
    const out = await approximateRows({ ...input, orig: flat, onLog: (l) => logs.push(l) }, { ...OPTIONS, method: 'john_hewitt' }); // prettier-ignore
    const key = streamKey(7, 'model.embed_tokens.weight', 0);
    close(
      row(out, 0),
      [0, 1, 2].map((j) => 0.02 * normalAt(key, 300 * 3 + j)),
      1e-7,
    );
    expect(logs).toEqual([expect.stringMatching(/^warning: model.embed_tokens.weight: the covariance .* not positive definite/)]); // prettier-ignore
  });
});

describe('landmark_pca', () => {
  it('maps a donor space that is a rotated, shifted copy of MODEL’s back onto it exactly', async () => {
    const donor = matrix(40, 4, values(160, 3));
    const q = orthogonal(4, 9);
    const orig = mapRows(donor, q, 4, [1, -2, 0.5, 3]);
    const input = spaces(donor, matrix(36, 4, orig.data.slice(0, 36 * 4)), 36);
    const out = await approximateRows(input, { ...OPTIONS, method: 'landmark_pca' });
    close(out.data, orig.data.subarray(36 * 4), 1e-5);
  });
  it('works between hidden sizes: a 6-wide donor whose rows lie in a 3-d subspace', async () => {
    const orig = matrix(30, 3, values(90, 4));
    // donor = orig x E, E a 3 x 6 isometry (orthonormal rows), plus a shift
    const q = orthogonal(6, 2);
    const e = Float64Array.from({ length: 18 }, (_, k) => q[k]!);
    const donor = mapRows(orig, e, 6, [0.3, 0, -1, 2, 0, 0.1]);
    const input = spaces(donor, matrix(26, 3, orig.data.slice(0, 26 * 3)), 26);
    const out = await approximateRows(input, { ...OPTIONS, method: 'landmark_pca' });
    close(out.data, orig.data.subarray(26 * 3), 1e-4);
    // and the other way round: MODEL wider than the donor
    const back = spaces(orig, matrix(26, 6, donor.data.slice(0, 26 * 6)), 26);
    const wide = await approximateRows(back, { ...OPTIONS, method: 'landmark_pca' });
    close(wide.data, donor.data.subarray(26 * 6), 1e-4);
  });
  it('needs shared tokens', async () => {
    const input = spaces(matrix(2, 2, values(4, 1)), matrix(1, 2), 0);
    await expect(approximateRows(input, { ...OPTIONS, method: 'landmark_pca' })).rejects.toThrow(
      TokenSurgeonError,
    );
  });
});

describe('stb', () => {
  // MODEL = donor x M for every row (M invertible): the basis's coefficients carry over exactly
  const donor = matrix(50, 4, values(200, 6));
  const mm = Float64Array.from(values(16, 8), (x, i) => x + (i % 5 === 0 ? 2 : 0));
  const orig = mapRows(donor, mm, 4);
  const input = { ...spaces(donor, orig, 45), orig };

  it('maps a donor row through a basis of shared tokens, exactly when MODEL is a linear image of the donor', async () => {
    const out = await approximateRows(input, { ...OPTIONS, method: 'stb', k: 4 });
    close(out.data, orig.data.subarray(45 * 4), 1e-4);
  });
  it('works between hidden sizes (the narrower side gives the basis)', async () => {
    const wide = mapRows(donor, Float64Array.from(values(24, 11)), 6);
    const out = await approximateRows({ ...spaces(donor, wide, 45), orig: wide }, { ...OPTIONS, method: 'stb', k: 4 }); // prettier-ignore
    close(out.data, wide.data.subarray(45 * 6), 1e-4);
  });
  it('leaves junk tokens out of the basis, and refuses a -k above the tokens left', async () => {
    const junk = new Set(Array.from({ length: 42 }, (_, i) => i));
    await expect(approximateRows({ ...input, junk }, { ...OPTIONS, method: 'stb', k: 4 })).rejects.toThrow(
      /-k 4 is more than the 3 tokens/,
    );
  });
  it('stops a long fit soon after a cancel: the fit yields to the event loop', async () => {
    // 128 OMP fits of 64 steps over 3000 shared tokens: seconds on this machine
    const big = matrix(3002, 128, values(3002 * 128, 13));
    const ac = new AbortController();
    const started = performance.now();
    setTimeout(() => ac.abort(), 100);
    await expect(approximateRows({ ...spaces(big, big, 3000), signal: ac.signal }, { ...OPTIONS, method: 'stb', k: 64 })).rejects.toThrow(); // prettier-ignore
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
