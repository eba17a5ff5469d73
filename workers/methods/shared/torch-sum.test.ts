/**
 * torchSumF32's order. The golden set checks it against torch itself (sce's weights, bit for
 * bit: workers/engine/golden.test.ts); these pin the parts of the order one can see by hand.
 */
import { describe, expect, it } from 'vitest';
import { fmaF32, torchNormF32, torchSumF32 } from './torch-sum.ts';

describe('torchSumF32', () => {
  it('is exact where every partial sum is (small integers), for any length', () => {
    for (const n of [0, 1, 7, 8, 31, 32, 33, 100, 4096, 70_001]) {
      const x = Float32Array.from({ length: n }, (_, i) => (i % 13) - 6);
      let exact = 0;
      for (const v of x) exact += v;
      expect(torchSumF32(x), `n=${n}`).toBe(exact);
    }
  });

  it('adds the lanes to the scalar tail, in lane order', () => {
    // 33 elements: 4 vectors of 8 and one tail element. From 0: the tail (1), lane 0 (1), then
    // lane 1 (2^24) gives 2^24 + 2, exact; the lanes first would lose both ones.
    const x = new Float32Array(33);
    x[32] = 1;
    x[0] = 1;
    x[1] = 2 ** 24;
    expect(torchSumF32(x)).toBe(2 ** 24 + 2);
  });

  it('sums each lane in blocks (the cascade), not left to right', () => {
    // 4 vectors a group, 8 lanes: lane 0 of the first of the four vectors every 32 elements.
    // 32 groups, blocks of 16: 2^24 in the first block, a 1 in each group of the second. The
    // second block's 16 ones are summed apart, then added to 2^24 (exact); a running sum from
    // 2^24 drops every 1.
    const x = new Float32Array(32 * 32);
    x[0] = 2 ** 24;
    for (let g = 16; g < 32; g++) x[32 * g] = 1;
    let running = 0;
    for (const v of x) running = Math.fround(running + v);
    expect(running).toBe(2 ** 24);
    expect(torchSumF32(x)).toBe(2 ** 24 + 16);
  });

  it('applies the map to each element first (mean of squares)', () => {
    const x = Float32Array.from([1, -2, 3, -4, 0.5]);
    expect(torchSumF32(x, x)).toBe(1 + 4 + 9 + 16 + 0.25);
  });
});

describe('torchNormF32', () => {
  it('is the float32 square root of an exact sum of squares', () => {
    expect(torchNormF32(Float32Array.from([3, 4]))).toBe(5);
    expect(torchNormF32(Float32Array.from({ length: 100 }, () => 2))).toBe(20);
  });

  it('adds the lanes in order, then the tail: a 1 after 2^24 is lost', () => {
    // lanes: 1^2, then 4096^2 = 2^24 (1 + 2^24 rounds to 2^24), then the tail's 1^2: 2^24.
    // The tail first would keep both ones: sqrt(2^24 + 2) rounds to 4096.0002.
    const x = Float32Array.from([1, 4096, 0, 0, 0, 0, 0, 0, 1]);
    expect(torchNormF32(x)).toBe(4096);
  });
});

describe('fmaF32', () => {
  it('rounds a * b + c once, also where rounding to float64 first lands on a float32 midpoint', () => {
    // c = 1 + 2^-23 (odd), a * b = 2^-24 (1 - 2^-46): just below the midpoint c + 2^-24, so the
    // answer is c. The float64 sum rounds to the midpoint, which then rounds to even: 1 + 2^-22.
    const a = 1 + 2 ** -23;
    const b = Math.fround((1 - 2 ** -23) * 2 ** -24);
    const c = 1 + 2 ** -23;
    expect(Math.fround(a * b + c)).toBe(1 + 2 ** -22);
    expect(fmaF32(a, b, c)).toBe(c);
    // and the plain cases: exact, above and below a midpoint, ties to even
    expect(fmaF32(3, 4, 5)).toBe(17);
    expect(fmaF32(1 + 2 ** -23, 1 + 2 ** -23, 0)).toBe(Math.fround((1 + 2 ** -23) ** 2));
    expect(fmaF32(2 ** -24, 1, 1)).toBe(1);
    expect(fmaF32(2 ** -24, 1, 1 + 2 ** -23)).toBe(1 + 2 ** -22);
  });
});
