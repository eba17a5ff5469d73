/**
 * Task-vector family and RAM in bf16 against torch-CPU semantics re-derived independently
 * (./torch-ref.ts): every sum over the models (weighted deltas, the sign election, the
 * consensus divisor, the weight sum) accumulates in float32 and is rounded once.
 */
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../io/dtypes.ts';
import { run } from './test-helpers.ts';
import { bf16, bf16Array, bf16Sum, mismatches } from './torch-ref.ts';

/** mergekit's GTA merge (task_arithmetic / ties without sparsification), bf16 on torch CPU. */
function torchGTA(
  base: number[],
  xs: number[][],
  w: number[],
  consensus: boolean,
  normalize: boolean,
): number[] {
  const wb = w.map(bf16);
  return base.map((b, i) => {
    const wd = xs.map((x, k) => bf16(bf16(x[i]! - b) * wb[k]!));
    let mixed: number;
    let divisor: number;
    if (consensus) {
      const elected = bf16Sum(wd) >= 0 ? 1 : -1;
      const keep = wd.map((v) => Math.sign(v) === elected);
      mixed = bf16Sum(wd.filter((_, k) => keep[k]));
      divisor = bf16Sum(wb.filter((_, k) => keep[k]));
      if (divisor === 0) divisor = 1;
    } else {
      mixed = bf16Sum(wd);
      divisor = bf16Sum(wb);
      if (Math.abs(divisor) < 1e-8) divisor = 1;
    }
    if (normalize) mixed = bf16(mixed / divisor);
    return bf16(b + mixed);
  });
}

/** mergekit's ram: base + sum over active task vectors of tau/c (c > 1) or tau (c = 1). */
function torchRam(base: number[], xs: number[][], eps = 1e-5): number[] {
  return base.map((b, i) => {
    const taus = xs.map((x) => bf16(x[i]! - b)).filter((t) => Math.abs(t) > eps);
    const c = taus.length;
    return bf16(b + bf16Sum(taus.map((t) => (c === 1 ? t : bf16(t / c)))));
  });
}

const n = 4096;
const base = bf16Array(n, 7, 0.05);
const xs = [11, 12, 13].map((s) => {
  const d = bf16Array(n, s, 0.01);
  return base.map((b, i) => bf16(b + d[i]!));
});
const W = (...w: number[]) => w.map((weight) => ({ weight }));

describe('task-vector family in bf16: sums over models rounded once', () => {
  for (const [method, consensus, normalize] of [
    ['task_arithmetic', false, false],
    ['task_arithmetic', false, true],
    ['ties', true, true],
    ['ties', true, false],
  ] as const) {
    it(`${method}, normalize ${normalize}, 3 models`, () => {
      const w = [0.5, 0.3, 0.2];
      const exp = torchGTA(base, xs, w, consensus, normalize);
      const global = { normalize, ...(method === 'ties' ? { density: 1 } : {}) };
      const { out } = run(method, { inputs: xs, base, perModel: W(...w), global, round: roundToBf16 });
      expect(mismatches(out, exp)).toEqual([]);
    });
  }
  it('task_arithmetic hand case: 1 + 2^-8 + 2^-8 over base 0', () => {
    const w = [1, 2 ** -8, 2 ** -8];
    const exp = torchGTA([0], [[1], [1], [1]], w, false, false);
    expect(exp).toEqual([1.0078125]);
    const { out } = run('task_arithmetic', {
      inputs: [[1], [1], [1]],
      base: [0],
      perModel: W(...w),
      global: { normalize: false },
      round: roundToBf16,
    });
    expect(out).toEqual(exp);
  });
  // Weights 1, 2^-8, 2^-8: summed step by step in bf16 they give 1 (ties to even), summed once 1.0078125.
  for (const method of ['task_arithmetic', 'ties'] as const) {
    it(`${method} hand case: the weight-sum divisor (normalize) is rounded once`, () => {
      const w = [1, 2 ** -8, 2 ** -8];
      const exp = torchGTA([0], [[1], [1], [1]], w, method === 'ties', true);
      expect(exp).toEqual([1]);
      const { out } = run(method, {
        inputs: [[1], [1], [1]],
        base: [0],
        perModel: W(...w),
        global: { normalize: true, ...(method === 'ties' ? { density: 1 } : {}) },
        round: roundToBf16,
      });
      expect(out).toEqual(exp);
    });
  }
  it('ties hand case: the sign election sums once (1 + 2^-8 + 2^-8 - (1 + 2^-7) = 0, elects +)', () => {
    const w = [1, 2 ** -8, 2 ** -8, 1 + 2 ** -7];
    const inputs = [[1], [1], [1], [-1]];
    const exp = torchGTA([0], inputs, w, true, false);
    expect(exp).toEqual([1.0078125]);
    const { out } = run('ties', {
      inputs,
      base: [0],
      perModel: W(...w),
      global: { normalize: false, density: 1 },
      round: roundToBf16,
    });
    expect(out).toEqual(exp);
  });
});

describe('ram in bf16: the sum over contributors rounded once', () => {
  it('3 models, random bf16 data', () => {
    const exp = torchRam(base, xs);
    const { out } = run('ram', { inputs: xs, base, round: roundToBf16 });
    expect(mismatches(out, exp)).toEqual([]);
  });
});
