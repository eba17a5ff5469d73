import { describe, expect, it } from 'vitest';
import { hashAt } from '../rng.ts';
import { dellaRow, hash24, hash24Js, maskBits, rankRowJs, RowRanker } from './della.ts';
import { quadSum } from './sums.ts';
import { awkward, bitsOf, copyInto, simdAndJs } from './test-helpers.ts';

/** Columns by (|x| bits, column): the comparison sort the radix sort replaces. */
function sortedColumns(row: Float32Array): number[] {
  const bits = new Uint32Array(row.buffer, row.byteOffset, row.length);
  return [...row.keys()].sort((a, b) => (bits[a]! & 0x7fffffff) - (bits[b]! & 0x7fffffff) || a - b);
}
const columns = (words: Uint32Array): number[] => [...words].filter((_, i) => i % 2 === 0);
const l1 = (a: Float32Array): number => a.reduce((t, v) => t + Math.abs(v), 0);

describe('DELLA row ranking', () => {
  it('ranks by |x| ascending, ties by column (hand-checked)', () => {
    const row = Float32Array.of(0.5, -2, 0, 0.5, -0.25, -0);
    const w = new Uint32Array(12);
    const words = rankRowJs(row, w, new Uint32Array(12), new Uint32Array(3 * 2048));
    expect(columns(words)).toEqual([2, 5, 4, 0, 3, 1]);
  });

  it('the kernel sorts like a comparison sort of (key, column), whatever the data', () => {
    for (const [cols, seed, special] of [
      [1, 1, false],
      [7, 2, true],
      [1000, 3, false],
      [4099, 4, true],
    ] as const) {
      const data = awkward(cols, seed, special);
      const [simd, js] = simdAndJs((s) => {
        const ranker = new RowRanker(cols, s);
        return columns(ranker.rank(copyInto(s, data)));
      });
      expect(simd).toEqual(js);
      expect(js).toEqual(sortedColumns(data));
    }
  });

  it('draws the 24-bit hashes of uniformAt, from any start', () => {
    const [simd, js] = simdAndJs((s) => {
      const out = s.u32(1003);
      hash24(out, 0x9e3779b9, 12345);
      return out.slice();
    });
    expect(simd).toEqual(js);
    const ref = new Uint32Array(1003);
    hash24Js(ref, 0x9e3779b9, 12345);
    expect(js).toEqual(ref);
    expect(ref[5]).toBe(hashAt(0x9e3779b9, 12350) >>> 8);
  });

  it('keeps rank r iff its draw is below the threshold (equal drops), with the same sums and bits', () => {
    const cols = 203;
    const data = awkward(cols, 9);
    const thresholds = Int32Array.from({ length: cols }, (_, r) => 1000 + 10 * r);
    const [simd, js] = simdAndJs((s) => {
      const row = copyInto(s, data);
      const words = new RowRanker(cols, s).rank(row);
      const th = s.i32(cols);
      th.set(thresholds);
      // draws: for rank r below, at or above its threshold in turn
      const draws = s.u32(cols);
      for (let r = 0; r < cols; r++) draws[words[2 * r]!] = thresholds[r]! + ((r % 3) - 1);
      const stats = { before: quadSum(), after: quadSum(), lane0: 5, bits: s.u32(8), bit0: 3 };
      dellaRow(row, words, draws, th, stats);
      const kept = copyInto(s, data);
      dellaRow(kept, words, draws, th, undefined);
      const masked = copyInto(s, data);
      maskBits(masked.subarray(1), stats.bits, 4); // bit 3 + c for column c
      return {
        before: stats.before,
        after: stats.after,
        bits: stats.bits.slice(),
        kept: bitsOf(kept),
        masked: bitsOf(masked.subarray(1)),
      };
    });
    expect(simd).toEqual(js);
    // exactly the ranks r with r % 3 == 0 (draw one below the threshold) are kept
    const ranks = sortedColumns(data);
    const expected = Float32Array.from(data, (v, c) => (ranks.indexOf(c) % 3 === 0 ? v : 0));
    expect(js.kept).toEqual(bitsOf(expected));
    expect(js.masked).toEqual(bitsOf(expected.subarray(1)));
    expect(js.before.reduce((a, b) => a + b)).toBeCloseTo(l1(data), 12);
    expect(js.after.reduce((a, b) => a + b)).toBeCloseTo(l1(expected), 12);
  });
});
