import { describe, expect, it } from 'vitest';
import { mix32 } from '../../rng.ts';
import { applyThreshold, topKThreshold } from '../../methods/shared/select.ts';
import { ALL, floatOfOrderedKey, histogramOf, orderedKey, radixThreshold, tieEnd } from './radix-plan.ts';

/** The GPU's selection rule: key above the threshold, or equal with an index below `end`. */
async function gpuStyleMask(keys: Uint32Array, k: number): Promise<Uint8Array> {
  const th = await radixThreshold(keys.length, k, histogramOf(keys));
  const end = await tieEnd(
    keys.length,
    th,
    histogramOf(
      keys.map((_, i) => 0xffffffff - i),
      (i) => keys[i] === th.key,
    ),
  );
  return Uint8Array.from(keys, (key, i) => (key > th.key || (key === th.key && i < end) ? 1 : 0));
}

function cpuMask(keys: Uint32Array, k: number): Uint8Array {
  const mask = new Uint8Array(keys.length);
  const keyAt = (i: number): number => keys[i]!;
  applyThreshold(keys.length, topKThreshold(keys.length, k, keyAt), keyAt, mask);
  return mask;
}

describe('radix select driven by histograms (the GPU path)', () => {
  it('selects exactly the CPU selection, ties at the cut by lowest index', async () => {
    for (const seed of [1, 2]) {
      const n = 3000;
      // Few distinct keys (quantised magnitudes): long runs of ties at every cut.
      const keys = Uint32Array.from({ length: n }, (_, i) => 0x3c000000 + (mix32(i * 31 + seed) % 37) * 4096);
      for (const k of [0, 1, 7, 1500, 2999, 3000]) {
        const mask = await gpuStyleMask(keys, k);
        expect(mask.reduce((s, v) => s + v, 0)).toBe(k);
        expect(mask).toEqual(cpuMask(keys, k));
      }
    }
  });

  it('handles full 32-bit keys (hashes) and distinct keys without a tie pass', async () => {
    const keys = Uint32Array.from({ length: 2000 }, (_, i) => mix32(i + 99));
    const th = await radixThreshold(keys.length, 100, histogramOf(keys));
    expect(th.allEqual).toBe(true);
    expect(await gpuStyleMask(keys, 100)).toEqual(cpuMask(keys, 100));
  });

  it('keeps all ties, none, or cuts inside them (end)', async () => {
    const keys = new Uint32Array([5, 9, 5, 5, 1, 5]);
    const noIndexPass = histogramOf(new Uint32Array(0));
    expect(await tieEnd(6, { key: 5, takeEqual: 4, allEqual: true }, noIndexPass)).toBe(ALL);
    expect(await tieEnd(6, { key: 5, takeEqual: 0, allEqual: false }, noIndexPass)).toBe(0);
    // Top 3: the 9 and the first two 5s (indices 0 and 2): the cut is after index 2.
    expect([...(await gpuStyleMask(keys, 3))]).toEqual([1, 1, 1, 0, 0, 0]);
  });
});

describe('order-preserving float keys', () => {
  it('orders floats of any sign and round-trips', () => {
    const values = [-Infinity, -2, -1e-45, -0, 0, 1e-45, 0.5, 3.4e38, Infinity];
    const bits = new Uint32Array(new Float32Array(values).buffer);
    const keys = [...bits].map(orderedKey);
    for (let i = 1; i < keys.length; i++) expect(keys[i]!).toBeGreaterThan(keys[i - 1]!);
    expect(keys.map(floatOfOrderedKey)).toEqual(values.map(Math.fround));
  });
});
