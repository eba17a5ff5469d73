/**
 * linear against torch-CPU semantics re-derived independently (./torch-ref.ts): bf16 sums over
 * the models accumulate in float32 and round once; the zero-sum refusal sees the sum as the
 * kernel forms it.
 */
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../io/dtypes.ts';
import type { Recipe } from '../plan/recipe.ts';
import { checkMethodRules } from '../plan/validate-rules.ts';
import { getMethod } from './registry.ts';
import { run } from './test-helpers.ts';
import { bf16, bf16Array, bf16Sum, mismatches } from './torch-ref.ts';

const W = (...w: number[]) => w.map((weight) => ({ weight }));

/** mergekit linear in bf16: (weights * tensors).sum(0) [/ weights.sum(0)], torch CPU rounding. */
function torchLinear(xs: number[][], w: number[], normalize: boolean): number[] {
  const wb = w.map(bf16);
  return xs[0]!.map((_, i) => {
    const s = bf16Sum(xs.map((x, k) => bf16(wb[k]! * x[i]!)));
    return normalize ? bf16(s / bf16Sum(wb)) : s;
  });
}

describe('linear in bf16: one rounding of the sum over models', () => {
  it('1 + 2^-8 + 2^-8 is 1.0078125, not 1 (two ties to even)', () => {
    const w = [1, 2 ** -8, 2 ** -8];
    const exp = torchLinear([[1], [1], [1]], w, false);
    expect(exp).toEqual([1.0078125]);
    const { out } = run('linear', {
      inputs: [[1], [1], [1]],
      perModel: W(...w),
      global: { normalize: false },
      round: roundToBf16,
    });
    expect(out).toEqual(exp);
  });
  for (const normalize of [true, false]) {
    it(`3 models, random bf16 data, normalize ${normalize}`, () => {
      const n = 4096;
      const xs = [1, 2, 3].map((s) => bf16Array(n, s, 0.02));
      const w = [0.5, 0.3, 0.2];
      const exp = torchLinear(xs, w, normalize);
      const { out } = run('linear', {
        inputs: xs,
        perModel: W(...w),
        global: { normalize },
        round: roundToBf16,
      });
      expect(mismatches(out, exp)).toEqual([]);
    });
  }
});

const linearRecipe = (dtype?: string): Recipe =>
  ({
    merge_method: 'linear',
    ...(dtype ? { dtype } : {}),
    models: [
      { model: 'a', parameters: { weight: 1 } },
      { model: 'b', parameters: { weight: -1.001 } },
    ],
  }) as unknown as Recipe;
const zeroSumMessages = (r: Recipe) => {
  const out: string[] = [];
  checkMethodRules(r, getMethod('linear')!, (_p, m) => out.push(m));
  return out.filter((m) => /sum to 0/.test(m));
};

describe('linear: weights that sum to 0 in the compute dtype are refused', () => {
  const check = getMethod('linear')!.check!;
  it('float32: 0.1 + 0.2 - 0.3 is 0 in float32 (5.6e-17 in float64)', () => {
    const w = [0.1, 0.2, -0.3];
    // torch's float32 weights.sum(), independently:
    expect(Math.fround(Math.fround(Math.fround(0.1) + Math.fround(0.2)) + Math.fround(-0.3))).toBe(0);
    expect(w.reduce((a, b) => a + b, 0)).not.toBe(0);
    expect(check({ normalize: true }, W(...w), 4, Math.fround)).toMatch(/sum to 0/);
    expect(check({ normalize: true }, W(...w), 4)).toMatch(/sum to 0/);
  });
  it('bf16: 1 and -1.001 sum to 0 once -1.001 is rounded to bf16', () => {
    expect(bf16(-1.001)).toBe(-1);
    expect(check({ normalize: true }, W(1, -1.001), 4, roundToBf16)).toMatch(/sum to 0/);
    expect(check({ normalize: true }, W(1, -1.001), 4, Math.fround)).toBeUndefined();
  });
  it('small but real sums and normalize: false pass', () => {
    expect(check({ normalize: true }, W(1, -0.99), 4, roundToBf16)).toBeUndefined();
    expect(check({ normalize: true }, W(0.1, 0.2, -0.25), 4, Math.fround)).toBeUndefined();
    expect(check({ normalize: false }, W(1, -1), 4, roundToBf16)).toBeUndefined();
  });
  it('the recipe validator uses the recipe dtype', () => {
    expect(zeroSumMessages(linearRecipe('bfloat16'))).toHaveLength(1);
    expect(zeroSumMessages(linearRecipe('float32'))).toHaveLength(0);
    expect(zeroSumMessages(linearRecipe())).toHaveLength(0);
  });
});
