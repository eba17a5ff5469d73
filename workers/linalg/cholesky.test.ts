import { describe, expect, it } from 'vitest';
import { cholesky } from './cholesky.ts';

describe('cholesky', () => {
  it('factors a positive definite matrix', () => {
    const a = [4, 2, 0.4, 2, 5, 1, 0.4, 1, 3];
    const l = cholesky(a, 3)!;
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += l[i * 3 + k]! * l[j * 3 + k]!;
        expect(s).toBeCloseTo(a[i * 3 + j]!, 12);
      }
    expect([l[1], l[2], l[5]]).toEqual([0, 0, 0]);
  });

  it('refuses a singular or indefinite matrix', () => {
    expect(cholesky([1, 1, 1, 1], 2)).toBeUndefined();
    expect(cholesky([1, 2, 2, 1], 2)).toBeUndefined();
    expect(cholesky([Number.NaN], 1)).toBeUndefined();
  });
});
