import { describe, expect, it } from 'vitest';
import { dellaKeepTable, nextPow2 } from './della-table.ts';

describe('DELLA keep probabilities by rank', () => {
  it('goes from density - epsilon to density + epsilon, in f32 as the CPU kernel', () => {
    const t = dellaKeepTable(3, 0.5, 0.1);
    const f = Math.fround;
    expect([...t]).toEqual([f(0.4), f(f(0.4) + f(0.5 * 2 * 0.1)), f(f(0.4) + f(1 * 2 * 0.1))]);
    expect(t[0]).toBeCloseTo(0.4, 6);
    expect(t[2]).toBeCloseTo(0.6, 6);
  });

  it('keeps nothing in one-column rows (NaN in the CPU kernel)', () => {
    expect([...dellaKeepTable(1, 0.5, 0.1)]).toEqual([-1]);
  });

  it('pads rows to powers of two', () => {
    expect([1, 2, 3, 128, 129, 11008].map(nextPow2)).toEqual([1, 2, 4, 128, 256, 16384]);
  });
});
