/** passthrough's scale in bf16: torch keeps the Python scalar in float32 and rounds the product once. */
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../io/dtypes.ts';
import { run } from './test-helpers.ts';
import { bf16, bf16Array, mismatches } from './torch-ref.ts';

describe('passthrough scale in bf16', () => {
  it('x = -0.0262451171875, scale 0.9: bf16(x * f32(0.9)), not bf16(x * bf16(0.9))', () => {
    const x = -0.0262451171875;
    const exp = bf16(x * Math.fround(0.9));
    expect(exp).not.toBe(bf16(x * bf16(0.9)));
    const { out } = run('passthrough', { inputs: [[x]], perModel: [{ scale: 0.9 }], round: roundToBf16 });
    expect(out).toEqual([exp]);
  });
  for (const scale of [0.7, 0.9, 1.1]) {
    it(`random bf16 data, scale ${scale}`, () => {
      const xs = bf16Array(4096, 5, 0.05);
      const exp = xs.map((x) => bf16(x * Math.fround(scale)));
      const { out } = run('passthrough', { inputs: [xs], perModel: [{ scale }], round: roundToBf16 });
      expect(mismatches(out, exp)).toEqual([]);
    });
  }
});
