/**
 * merge_studio.topk_scope: row, checked against a straightforward reference written here (sort
 * each row's indices by |x| descending, then by index, and keep a band of ranks): hand-checked
 * numbers, ties at every cut (coarse values, zeros of both signs, NaN and infinities), TIES
 * and breadcrumbs through the family kernel, the same bytes in any chunking and on the
 * WebAssembly kernels and their JS references, the rescale, and the tensor scope untouched.
 */
import { describe, expect, it } from 'vitest';
import { mix32 } from '../../rng.ts';
import { arithBits, awkward, bitsOf, simdAndJs } from '../../simd/test-helpers.ts';
import { getMethod } from '../registry.ts';
import { arraySource, runStream } from '../stream.ts';
import { run } from '../test-helpers.ts';
import { MERGEKIT_COMPAT, type Compat, type ParamValue } from '../types.ts';
import { RowSelect, rowCounts, topkRowLength } from './row-topk.ts';
import { sparsify, type Sparsifier } from './sparsify.ts';

const ROW: Compat = { ...MERGEKIT_COMPAT, topkScope: 'row' };

/** The magnitude key of x: |x| orders like these bits (NaN above infinity). */
const keyOf = (x: number): number => new Uint32Array(Float32Array.of(x).buffer)[0]! & 0x7fffffff;

/**
 * The reference: each row of `cols` keeps the elements of ranks [drop, keep) in the order
 * (|x| descending, index ascending); the others become +0.
 */
function rowBandRef(x: Float32Array, cols: number, keep: number, drop: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let at = 0; at < x.length; at += cols) {
    const order = Array.from({ length: cols }, (_, j) => at + j).sort(
      (a, b) => keyOf(x[b]!) - keyOf(x[a]!) || a - b,
    );
    for (const i of order.slice(drop, keep)) out[i] = x[i]!;
  }
  return out;
}

/** TIES's and breadcrumbs' counts per row, computed here from their definitions. */
const refCounts = (method: Sparsifier, density: number, gamma: number, cols: number) => {
  const kept = Math.trunc(density * cols);
  if (method === 'magnitude') return { keep: kept, drop: 0 };
  // the band of `kept` ranks below the outliers, moved up where it would run past the row
  const end = Math.min(Math.trunc(gamma * cols) + kept, cols);
  return { keep: end, drop: end - kept };
};

const sum = (a: Float32Array, f: (v: number) => number): number => [...a].reduce((s, v) => s + f(v), 0);
const noise = (n: number, seed: number, scale: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => (((mix32(i ^ mix32(seed)) % 2001) - 1000) / 1000) * scale);
/** Few distinct magnitudes: ties at every cut. */
const coarse = (x: Float32Array): Float32Array => x.map((v) => Math.round(v * 256) / 256);

describe('RowSelect', () => {
  it('finds the cut of every count on rows with ties, zeros, NaN and infinities', () => {
    const cols = 97;
    const x = awkward(cols * 6, 5, true);
    const select = new RowSelect(cols);
    for (const count of [0, 1, 2, 10, 48, 96, 97, 200]) {
      const got = x.slice();
      select.mask(got, { keep: count, drop: 0 });
      expect(bitsOf(got), `count ${count}`).toEqual(bitsOf(rowBandRef(x, cols, count, 0)));
    }
  });

  it('keeps a band: the top `keep` minus the top `drop`, ties lowest index first in both', () => {
    const cols = 64;
    const x = coarse(noise(cols * 9, 2, 0.02));
    for (const [keep, drop] of [
      [40, 3],
      [64, 10],
      [5, 5],
      [1, 0],
    ] as const) {
      const [simd, js] = simdAndJs((s) => {
        const got = s.f32(x.length);
        got.set(x);
        new RowSelect(cols).mask(got, { keep, drop });
        return bitsOf(got);
      });
      const want = bitsOf(rowBandRef(x, cols, keep, drop));
      expect(simd).toEqual(want);
      expect(js).toEqual(want);
    }
  });

  it('counts rows as the tensor scope counts tensors', () => {
    for (const [d, g, cols] of [
      [0.3, 0.05, 50],
      [0.9, 0.2, 50],
      [0.5, 0.01, 50],
      [0, 0.1, 20],
    ] as const) {
      expect(rowCounts(false, d, g, cols)).toEqual(refCounts('magnitude', d, g, cols));
      expect(rowCounts(true, d, g, cols)).toEqual(refCounts('magnitude_outliers', d, g, cols));
    }
  });

  it('cuts by row only where a row is not the whole tensor', () => {
    expect(topkRowLength([8, 4], 32)).toBe(4);
    expect(topkRowLength([2, 3, 4], 24)).toBe(4);
    expect(topkRowLength([32], 32)).toBeUndefined();
    expect(topkRowLength([1, 32], 32)).toBeUndefined();
    expect(topkRowLength([], 1)).toBeUndefined();
  });
});

describe('sparsify by row', () => {
  it('hand-checked: each row keeps its own top half', () => {
    const x = Float32Array.of(1, -3, 3, 0.5, 0.1, 0.2, 0.3, 0.4, 2, 2, -2, 2);
    const byRow = x.slice();
    sparsify(byRow, 'magnitude', { density: 0.5, rescale: false, shape: [3, 4], topkScope: 'row' });
    expect([...byRow]).toEqual([0, -3, 3, 0, 0, 0, 0.3, 0.4, 2, 2, 0, 0].map(Math.fround));
    // the tensor's top 6 leave the second row empty
    const byTensor = x.slice();
    sparsify(byTensor, 'magnitude', { density: 0.5, rescale: false, shape: [3, 4] });
    expect([...byTensor]).toEqual([0, -3, 3, 0, 0, 0, 0, 0, 2, 2, -2, 2]);
  });

  for (const method of ['magnitude', 'magnitude_outliers'] as const) {
    it(`${method}: the reference on noise, for several densities and shapes`, () => {
      for (const shape of [
        [40, 50],
        [3, 7, 32],
        [200, 3],
      ]) {
        const n = shape.reduce((a, b) => a * b, 1);
        const cols = shape.at(-1)!;
        const x = coarse(noise(n, 3, 0.02));
        for (const density of [0.1, 0.35, 0.9]) {
          const got = x.slice();
          sparsify(got, method, { density, gamma: 0.06, rescale: false, shape, topkScope: 'row' });
          const { keep, drop } = refCounts(method, density, 0.06, cols);
          expect(bitsOf(got), `${shape} ${density}`).toEqual(bitsOf(rowBandRef(x, cols, keep, drop)));
        }
      }
    });
  }

  it('breadcrumbs: a row without outliers keeps its band (mergekit’s empty-delta quirk is for tensors)', () => {
    const x = coarse(noise(2000, 4, 0.02));
    const got = x.slice();
    // gamma * 50 < 1: no outliers in a row; the tensor has 20
    sparsify(got, 'magnitude_outliers', {
      density: 0.4,
      gamma: 0.01,
      rescale: false,
      shape: [40, 50],
      topkScope: 'row',
    });
    expect(bitsOf(got)).toEqual(bitsOf(rowBandRef(x, 50, 20, 0)));
  });

  it('1-D tensors and single rows: the tensor scope’s bytes', () => {
    for (const shape of [[3000], [1, 3000]]) {
      for (const method of ['magnitude', 'magnitude_outliers'] as const) {
        const x = coarse(noise(3000, 6, 0.02));
        const [a, b] = [x.slice(), x.slice()];
        const o = { density: 0.3, gamma: 0.02, rescale: true, shape };
        sparsify(a, method, { ...o, topkScope: 'row' });
        sparsify(b, method, o);
        expect(bitsOf(a)).toEqual(bitsOf(b));
      }
    }
  });

  it('rescales the rows’ mask: L1, L2 and 1 / density', () => {
    const shape = [40, 50];
    const x = coarse(noise(2000, 7, 0.02));
    const masked = rowBandRef(x, 50, 15, 0);
    const factors = {
      l1: Math.fround(sum(x, Math.abs) / sum(masked, Math.abs)),
      l2: Math.fround(Math.sqrt(sum(x, (v) => v * v)) / Math.sqrt(sum(masked, (v) => v * v))),
      inverse_density: Math.fround(1 / 0.3),
    };
    for (const [norm, factor] of Object.entries(factors) as [keyof typeof factors, number][]) {
      const got = x.slice();
      sparsify(got, 'magnitude', { density: 0.3, rescale: true, rescaleNorm: norm, shape, topkScope: 'row' });
      const want = [...masked].map((v) => Math.fround(v * factor));
      got.forEach((v, i) => expect(v, `${norm} ${i}`).toBeCloseTo(want[i]!, 7));
      if (norm === 'inverse_density') expect([...got]).toEqual(want);
    }
  });

  it('a density that keeps nothing of a row zeroes the delta and says so', () => {
    const x = noise(2000, 8, 0.02);
    const warning = sparsify(x, 'magnitude', {
      density: 0.01,
      rescale: false,
      shape: [40, 50],
      topkScope: 'row',
    });
    expect(warning).toBe('density 0.01 keeps no element of a 50-element row');
    expect(x.every((v) => v === 0)).toBe(true);
  });
});

/** A family member's stream kernel over 3 models of `shape`, in chunks of `chunk`. */
function runFamily(
  name: string,
  shape: readonly number[],
  chunk: number,
  c: Compat,
  rescale = false,
): Float32Array {
  const m = getMethod(name)!;
  const n = shape.reduce((a, b) => a * b, 1);
  const base = noise(n, 1, 0.05);
  const inputs = [2, 3, 4].map((s) => coarse(noise(n, s, 0.01)).map((v, i) => base[i]! + v));
  const out = new Float32Array(n);
  const global: Record<string, ParamValue> = Object.fromEntries(
    m.params.filter((p) => p.scope === 'global').map((p) => [p.name, p.default!]),
  );
  runStream(m.stream!, {
    src: arraySource(inputs, base, n),
    chunk,
    emit: (start, v) => out.set(v, start),
    shape,
    global: { ...global, rescale },
    perModel: [0.3, 0.5, 0.7].map((density, k) => ({ weight: 0.4 + 0.1 * k, density, gamma: 0.04 })),
    round: Math.fround,
    rng: () => ({ key: 0 }) as never,
    warn: () => undefined,
    compat: c,
  });
  return out;
}

describe('the family kernel by row', () => {
  it('ties: the reference mask of each delta, then the combination', () => {
    // base 0: the inputs are the task vectors, so pre-masked inputs at density 1 give the reference
    const shape = [30, 40];
    const xs = [1, 2, 3].map((s) => coarse(noise(1200, 10 + s, 0.02)));
    const densities = [0.2, 0.5, 0.75];
    const perModel = densities.map((density, k) => ({ weight: [1, 0.5, -0.7][k]!, density }));
    const got = run('ties', {
      inputs: xs.map((x) => [...x]),
      base: new Array<number>(1200).fill(0),
      shape,
      perModel,
      compat: ROW,
    }).out;
    const want = run('ties', {
      inputs: xs.map((x, k) => [...rowBandRef(x, 40, Math.trunc(densities[k]! * 40), 0)]),
      base: new Array<number>(1200).fill(0),
      shape,
      perModel: perModel.map((p) => ({ ...p, density: 1 })),
    }).out;
    expect(got).toEqual(want);
    const tensor = run('ties', {
      inputs: xs.map((x) => [...x]),
      base: new Array<number>(1200).fill(0),
      shape,
      perModel,
    }).out;
    expect(got).not.toEqual(tensor);
  });

  for (const name of ['ties', 'breadcrumbs', 'breadcrumbs_ties']) {
    it(`${name}: the same bytes in any chunking, rescaled or not`, () => {
      const shape = [64, 50];
      for (const rescale of [false, true]) {
        const whole = runFamily(name, shape, 1 << 20, ROW, rescale);
        for (const chunk of [1, 50, 77, 1000]) {
          expect(arithBits(runFamily(name, shape, chunk, ROW, rescale)), `${chunk}`).toEqual(
            arithBits(whole),
          );
        }
        expect(arithBits(whole)).not.toEqual(
          arithBits(runFamily(name, shape, 1 << 20, MERGEKIT_COMPAT, rescale)),
        );
      }
    });
  }
});
