import { describe, expect, it } from 'vitest';
import { dellaThresholds } from './della-rows.ts';

/** mergekit's keep probability of rank r, with the float32 steps of the CPU kernel. */
function probability(rank: number, cols: number, density: number, epsilon: number): number {
  const lo = Math.fround(density - epsilon);
  const norm = Math.fround(Math.min(1, Math.max(0, rank / (cols - 1))));
  return Math.fround(lo + Math.fround(norm * 2 * epsilon));
}

describe('DELLA thresholds', () => {
  it('integer draw h < t(r) exactly when h / 2^24 < p(r)', () => {
    for (const [cols, density, epsilon] of [
      [2, 0.5, 0.1],
      [7, 0.3, 0.15],
      [11008, 0.5, 0.2],
      [100, 0.9, 0.0999],
    ] as const) {
      const t = dellaThresholds(cols, density, epsilon);
      for (let r = 0; r < cols; r += Math.max(1, Math.floor(cols / 50))) {
        const p = probability(r, cols, density, epsilon);
        for (const h of [t[r]! - 1, t[r]!, t[r]! + 1])
          expect(h < t[r]!, `cols ${cols} rank ${r}`).toBe(h / 2 ** 24 < p);
      }
    }
  });

  it('hand-checked ends of the ramp, and one column keeps nothing (NaN in mergekit)', () => {
    const t = dellaThresholds(3, 0.5, 0.25);
    expect([...t]).toEqual([0.25, 0.5, 0.75].map((p) => p * 2 ** 24));
    expect([...dellaThresholds(1, 0.5, 0.1)]).toEqual([0]);
  });
});
