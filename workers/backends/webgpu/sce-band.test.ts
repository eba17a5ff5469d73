import { describe, expect, it } from 'vitest';
import { applyThreshold, topKThreshold } from '../../methods/shared/select.ts';
import { mix32 } from '../../rng.ts';
import { histogramOf, radixThreshold } from './radix-plan.ts';
import {
  BandBoundError,
  cpuVarianceKey,
  resolveBand,
  varianceKeyError,
  type BandElement,
} from './sce-band.ts';

describe('cpuVarianceKey', () => {
  it('is the f32 bits of the CPU kernel variance', () => {
    // entries 1 and 3: mean 2, variance (1 + 1) / 2 = 1
    expect(cpuVarianceKey([1, 3])).toBe(0x3f800000);
    expect(cpuVarianceKey([0.25, 0.25, 0.25])).toBe(0);
  });
});

/**
 * The whole band procedure in JS, with GPU keys = CPU keys perturbed by up to e ulps: the kept
 * set must be exactly the CPU kernel's top-k by (key desc, index asc).
 */
async function bandSelection(
  entries: Float32Array[],
  k: number,
  noise: (i: number) => number,
): Promise<Set<number>> {
  const m = entries[0]!.length;
  const e = varianceKeyError(m);
  const cpuKeys = Uint32Array.from(entries, (x) => cpuVarianceKey(x));
  const gpuKeys = Uint32Array.from(cpuKeys, (key, i) => (key === 0 ? 0 : key + noise(i)));
  const cut = (await radixThreshold(gpuKeys.length, k, histogramOf(gpuKeys))).key;
  const lo = Math.max(0, cut - 2 * e);
  const hi = cut + 2 * e;
  const band: BandElement[] = [];
  const kept = new Set<number>();
  gpuKeys.forEach((key, i) => {
    if (key > hi) kept.add(i);
    else if (key >= lo) band.push({ index: i, entries: entries[i]! });
  });
  for (const i of resolveBand(band, k - kept.size, cut, e)) kept.add(i);
  return kept;
}

describe('SCE band selection', () => {
  it('reproduces the CPU top-k exactly when GPU keys are off by up to the bound', async () => {
    const n = 4000;
    const m = 3;
    // Quantised entries: many exactly equal variances, ties decided by index.
    const entries = Array.from({ length: n }, (_, i) =>
      Float32Array.from({ length: m }, (_x, k) => ((mix32(i * 3 + k) % 13) - 6) / 256),
    );
    const e = varianceKeyError(m);
    for (const k of [1, 1000, 2400, 3999]) {
      const got = await bandSelection(entries, k, (i) => (mix32(i + 7) % (2 * e + 1)) - e);
      const cpuKeys = Uint32Array.from(entries, (x) => cpuVarianceKey(x));
      const mask = new Uint8Array(n);
      const keyAt = (i: number): number => cpuKeys[i]!;
      applyThreshold(n, topKThreshold(n, k, keyAt), keyAt, mask);
      expect([...got].sort((a, b) => a - b)).toEqual([...mask.keys()].filter((i) => mask[i]));
    }
  });

  it('refuses a band that cannot supply the count, or a cut that moved past the bound', () => {
    const band = [{ index: 3, entries: [0, 1] }];
    expect(() => resolveBand(band, 2, 0, 10)).toThrow(BandBoundError);
    const key = cpuVarianceKey([0, 1]);
    expect(resolveBand(band, 1, key + 5, 10)).toEqual([3]);
    expect(() => resolveBand(band, 1, key + 50, 10)).toThrow(/ulps from the GPU/);
  });
});
