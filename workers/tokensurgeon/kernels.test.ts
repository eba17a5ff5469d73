import { describe, expect, it } from 'vitest';
import { approximateRows, columnMean, sharedTokens, type ApproximationOptions } from './approximate.ts';
import { commonInterpolation } from './common-interpolation.ts';
import { lstsq } from './lstsq.ts';
import { matrix, type Matrix } from './matrix.ts';
import { omp } from './omp.ts';
import { normalAt, streamKey } from '../rng.ts';
import { TokenSurgeonError } from './errors.ts';

const m = (rows: number[][]): Matrix => matrix(rows.length, rows[0]!.length, Float32Array.from(rows.flat()));
const close = (a: ArrayLike<number>, b: number[], digits = 6): void => {
  expect(a.length).toBe(b.length);
  b.forEach((x, i) => expect(a[i]).toBeCloseTo(x, digits));
};

describe('common_interpolation', () => {
  it('distance_proportional, euclidean: 1/d over the k nearest, normalised', () => {
    const c = commonInterpolation([0, 0], m([[3, 0], [0, 2], [1, 0]]), 2, 'euclidean', 'distance_proportional'); // prettier-ignore
    expect(c.indices).toEqual([2, 1]);
    close(c.coeffs, [2 / 3, 1 / 3]);
  });
  it('distance_proportional, cosine: the cosine similarities, normalised', () => {
    const c = commonInterpolation(
      [1, 0],
      m([
        [0, 1],
        [1, 1],
        [2, 0],
      ]),
      2,
      'cosine',
      'distance_proportional',
    );
    expect(c.indices).toEqual([2, 1]);
    const s = Math.SQRT1_2;
    close(c.coeffs, [1 / (1 + s), s / (1 + s)]);
  });
  it('least_squares: the unconstrained best weights', () => {
    const c = commonInterpolation(
      [2, 3],
      m([
        [1, 0],
        [0, 1],
        [5, 5],
      ]),
      2,
      'euclidean',
      'least_squares',
    );
    expect(c.indices).toEqual([1, 0]);
    close(c.coeffs, [3, 2]);
  });
  it('barycentric: affine weights (sum one) reproduce a point inside the simplex', () => {
    const c = commonInterpolation(
      [0.25, 0.25],
      m([
        [0, 0],
        [1, 0],
        [0, 1],
      ]),
      3,
      'euclidean',
      'barycentric',
    );
    const byIndex = new Map(c.indices.map((i, j) => [i, c.coeffs[j]!]));
    expect(byIndex.get(0)).toBeCloseTo(0.5, 6);
    expect(byIndex.get(1)).toBeCloseTo(0.25, 6);
    expect(byIndex.get(2)).toBeCloseTo(0.25, 6);
  });
});

describe('lstsq', () => {
  it('an underdetermined system gets the minimum-norm solution', () => {
    close(
      lstsq((_, j) => [1, 1][j]!, 1, 2, [2]),
      [1, 1],
    );
  });
  it('a rank-deficient column gets no weight', () => {
    // columns (1,0) and (2,0): min-norm x with x0 + 2 x1 = 3 is (0.6, 1.2)
    const a = [[1, 2], [0, 0]]; // prettier-ignore
    close(
      lstsq((i, j) => a[i]![j]!, 2, 2, [3, 0]),
      [0.6, 1.2],
    );
  });
});

describe('omp', () => {
  it('picks by largest |inner product| and solves least squares on the chosen atoms', () => {
    const c = omp(
      [2, 1, 0],
      m([
        [1, 0, 0],
        [0, 1, 0],
        [1, 1, 0],
      ]),
      2,
    );
    expect(c.indices).toEqual([2, 0]);
    close(c.coeffs, [1, 1]);
  });
  it('k = 1 is the projection on the best atom; the sign of the inner product counts', () => {
    const c = omp(
      [-3, 0],
      m([
        [1, 0],
        [0, 2],
      ]),
      1,
    );
    expect(c.indices).toEqual([0]);
    close(c.coeffs, [-3]);
  });
  it('agrees with an independent least-squares fit on the atoms it picks', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const pts = m(Array.from({ length: 12 }, () => Array.from({ length: 6 }, rand)));
    const t = Array.from({ length: 6 }, rand);
    const c = omp(t, pts, 4);
    expect(new Set(c.indices).size).toBe(4);
    const fit = lstsq((i, j) => pts.data[c.indices[j]! * 6 + i]!, 6, 4, t);
    close(c.coeffs, [...fit], 5);
  });
});

const base: ApproximationOptions = {
  method: 'omp',
  k: 1,
  cosineSimilarity: false,
  weightScheme: 'distance_proportional',
  seed: 0,
  batchSize: 2,
};

const tokens = (n: number, from: number) => Array.from({ length: n }, (_, i) => `t${from + i}`);
const vocab = (names: string[]) => new Map(names.map((t, i) => [t, i]));

describe('approximateRows', () => {
  // donor space 2-d, MODEL's 3-d (hidden sizes may differ): shared tokens s0, s1; new token n
  const donor = m([
    [1, 0],
    [0, 1],
    [2, 3],
  ]); // s0, s1, n
  const orig = m([
    [10, 0, 0],
    [0, 20, 0],
  ]); // s0, s1
  const input = {
    orig,
    donor,
    origVocab: new Map([['s0', 0], ['s1', 1]]), // prettier-ignore
    donorVocab: new Map([['s0', 0], ['s1', 1], ['n', 2]]), // prettier-ignore
    targets: ['n'],
    tensorName: 'embed',
    isLmHead: false,
  };
  it('shares tokens in donor id order', () => {
    expect(
      sharedTokens(
        input.origVocab,
        new Map([
          ['s1', 0],
          ['s0', 5],
          ['x', 1],
        ]),
      ),
    ).toEqual(['s1', 's0']);
  });
  it('omp applies the donor-space coefficients to MODEL rows', async () => {
    // k=2: n = 2 s0 + 3 s1 -> 2*(10,0,0) + 3*(0,20,0)
    close((await approximateRows(input, { ...base, k: 2 })).data, [20, 60, 0]);
    // k=1: best atom s1 (3 > 2), coefficient 3
    close((await approximateRows(input, base)).data, [0, 60, 0]);
  });
  it('common_interpolation with least_squares weights', async () => {
    const out = await approximateRows(input, {
      ...base,
      method: 'common_interpolation',
      k: 2,
      weightScheme: 'least_squares',
    });
    close(out.data, [20, 60, 0], 5);
  });
  it('mean, zero, scale', async () => {
    close((await approximateRows(input, { ...base, method: 'mean' })).data, [5, 10, 0]);
    close(columnMean(orig), [5, 10, 0]);
    close((await approximateRows(input, { ...base, method: 'zero' })).data, [0, 0, 0]);
    close((await approximateRows(input, { ...base, method: 'mean', newVocabScale: 2 })).data, [10, 20, 0]);
  });
  it('randn and noise come from the seeded stream, keyed by the donor id', async () => {
    const key = streamKey(3, 'embed', 0);
    close(
      (await approximateRows(input, { ...base, method: 'randn', seed: 3 })).data,
      [0, 1, 2].map((j) => normalAt(key, 2 * 3 + j)),
    );
    const noise = streamKey(3, 'embed', 1);
    const out = (await approximateRows(input, { ...base, method: 'zero', seed: 3, newVocabNoise: 0.5 })).data;
    close(
      out,
      [0, 1, 2].map((j) => 0.5 * normalAt(noise, 2 * 3 + j)),
    );
  });
  it('refuses a k larger than the shared vocabulary, naming -k', async () => {
    await expect(approximateRows(input, { ...base, k: 3 })).rejects.toThrow(TokenSurgeonError);
    await expect(approximateRows(input, { ...base, k: 3 })).rejects.toThrow(/-k 3 is more than the 2 tokens/);
  });
  it('stops when cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(approximateRows({ ...input, signal: ac.signal }, base)).rejects.toThrow(/cancelled/);
  });
  it('lets a cancel in while it runs: a signal aborted by a timer stops a long omp within a second', async () => {
    // 400 new tokens over 3,000 shared tokens of width 256, k = 32: tens of seconds in one go.
    const dim = 256;
    const key = streamKey(5, 'cancel', 0);
    const shared = tokens(3000, 0);
    const extra = tokens(400, 3000);
    const big = {
      orig: matrix(
        3000,
        dim,
        Float32Array.from({ length: 3000 * dim }, (_, i) => normalAt(key, i)),
      ),
      donor: matrix(
        3400,
        dim,
        Float32Array.from({ length: 3400 * dim }, (_, i) => normalAt(key, 1e7 + i)),
      ),
      origVocab: vocab(shared),
      donorVocab: vocab([...shared, ...extra]),
      targets: extra,
      tensorName: 'model.embed_tokens.weight',
    } as unknown as typeof input;
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 300);
    await expect(
      approximateRows({ ...big, signal: ac.signal }, { ...base, k: 32, batchSize: 1_000_000 }),
    ).rejects.toThrow(/cancelled/);
    expect(performance.now() - t0).toBeLessThan(1300);
  });
});
