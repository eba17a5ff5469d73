import { describe, expect, it } from 'vitest';
import { mix32 } from '../../rng.ts';
import { keepMagnitudeBand, magnitudeThreshold, topKMagnitudeMask } from './select.ts';

/** The reference: sort by (|x| desc, index asc) and take k. */
function bySort(x: Float32Array, k: number): Uint8Array {
  const idx = [...x.keys()].sort((a, b) => Math.abs(x[b]!) - Math.abs(x[a]!) || a - b);
  const mask = new Uint8Array(x.length);
  for (const i of idx.slice(0, k)) mask[i] = 1;
  return mask;
}

describe('radix top-k', () => {
  it('selects exactly the k largest magnitudes, ties by lowest index', () => {
    for (const seed of [1, 2, 3]) {
      const n = 5000;
      // Few distinct values (like bf16 deltas) to force many ties at the cut.
      const x = Float32Array.from(
        { length: n },
        (_, i) => (((mix32(i * 7 + seed) % 41) - 20) / 64) * (i % 3 ? 1 : -1),
      );
      for (const k of [0, 1, 17, 2500, 4999, 5000]) {
        const m = topKMagnitudeMask(x, k);
        expect(m.reduce((s, v) => s + v, 0)).toBe(k);
        expect(m).toEqual(bySort(x, k));
      }
    }
  });
  it('handles zeros, infinities and the largest floats', () => {
    const x = new Float32Array([0, -Infinity, 3.4e38, -0, 1e-45, 2]);
    expect([...topKMagnitudeMask(x, 3)]).toEqual([0, 1, 1, 0, 0, 1]);
  });
});

describe('specialised magnitude selection', () => {
  it('keeps exactly the sorted top-k, and bands of ranks', () => {
    const n = 3000;
    const x = Float32Array.from({ length: n }, (_, i) => ((mix32(i) % 23) - 11) / 8);
    for (const k of [0, 1, 1500, 2999, 3000]) {
      const kept = Float32Array.from(x);
      keepMagnitudeBand(kept, magnitudeThreshold(kept, k));
      const ref = bySort(x, k);
      expect([...kept]).toEqual([...x].map((v, i) => (ref[i] ? v : 0)));
    }
    const band = Float32Array.from(x);
    keepMagnitudeBand(band, magnitudeThreshold(band, 2000), magnitudeThreshold(band, 100));
    const top2000 = bySort(x, 2000);
    const top100 = bySort(x, 100);
    expect([...band]).toEqual([...x].map((v, i) => (top2000[i] && !top100[i] ? v : 0)));
  });
});
