import { describe, expect, it } from 'vitest';
import { uniformAt } from '../rng.ts';
import { dareMask, dareThreshold, l1, outputStats, outputSums, quadSum, total } from './sums.ts';
import { arithBits, awkward, bitsOf, copyInto, simdAndJs } from './test-helpers.ts';

describe('DARE mask', () => {
  it('the integer threshold is the same test as uniformAt < p', () => {
    for (const p of [0.5, 0.3, 1e-7, 2 ** -24, 3 * 2 ** -26, 0.999999, 0]) {
      const t = dareThreshold(p);
      const f = Math.fround(p);
      for (const h of [t - 1, t, t + 1].filter((v) => v >= 0 && v < 2 ** 24)) {
        expect(h < t).toBe(h / 2 ** 24 < f);
      }
    }
  });

  it('keeps exactly the elements whose draw is below p, on both paths, from any start', () => {
    const n = 2003;
    const data = awkward(n, 11);
    for (const [start, p] of [
      [0, 0.5],
      [12345, 0.1],
      [7, 0.9],
    ] as const) {
      const [simd, js] = simdAndJs((s) => {
        const x = copyInto(s, data);
        dareMask(x.subarray(0, 1001), 0xdeadbeef, start, p);
        dareMask(x.subarray(1001), 0xdeadbeef, start + 1001, p);
        return bitsOf(x);
      });
      expect(simd).toEqual(js);
      const kept = data.map((v, i) => (uniformAt(0xdeadbeef, start + i) < Math.fround(p) ? v : 0));
      expect(js).toEqual(bitsOf(kept));
    }
  });
});

describe('float64 sums by index mod 4', () => {
  it('hand-checked: elements go to the sum of their index mod 4', () => {
    const s = quadSum();
    l1(Float32Array.of(1, -2, 4, 8, 16, -32), 2, s); // indices 2 .. 7
    expect(s).toEqual([4, 8, 1 + 16, 2 + 32]);
    expect(total(s)).toBe(63);
  });

  it('give the same bits on both paths and in any chunking', () => {
    const n = 3001;
    const out = awkward(n, 5);
    const base = awkward(n, 6);
    const run = (chunk: number) =>
      simdAndJs((sc) => {
        const o = copyInto(sc, out);
        const b = copyInto(sc, base);
        const abs = quadSum();
        const withBase = outputSums();
        const alone = outputSums();
        for (let i = 0; i < n; i += chunk) {
          l1(o.subarray(i, i + chunk), i, abs);
          outputStats(o.subarray(i, i + chunk), b.subarray(i, i + chunk), i, withBase);
          outputStats(o.subarray(i, i + chunk), undefined, i, alone);
        }
        return { abs, withBase, alone };
      });
    const [whole, wholeJs] = run(n);
    expect(whole).toEqual(wholeJs);
    for (const chunk of [1, 5, 6, 64, 1000]) expect(run(chunk)).toEqual([whole, whole]);
    // a hand-made check of one sum
    let e = 0;
    for (let i = 1; i < n; i += 4) e += Math.abs(out[i]!);
    expect(whole.abs[1]).toBe(e);
    expect(arithBits(Float32Array.of(whole.alone.sumSq[1]))).toEqual(
      arithBits(Float32Array.of(whole.withBase.sumSq[1])),
    );
  });
});
