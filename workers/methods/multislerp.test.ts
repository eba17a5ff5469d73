/** multislerp's antipodal edge case (doc §1.5): exact cancellation must reach the fallback / error. */
import { describe, expect, it } from 'vitest';
import { run } from './test-helpers.ts';

/** Independent float64 multislerp per the doc, only up to the ‖m‖ < eps branch. */
function docEdge(xs: number[][], w: number[], base?: number[], eps = 1e-8): number[] | 'error' | 'normal' {
  const s = w.reduce((a, b) => a + b, 0);
  const wn = w.map((v) => v / s);
  const X = xs.map((x) => x.map((v, i) => v - (base ? base[i]! : 0)));
  const U = X.map((x) => {
    const n = Math.hypot(...x);
    return x.map((v) => v / (n + eps));
  });
  const m = U[0]!.map((_, i) => U.reduce((a, u, k) => a + wn[k]! * u[i]!, 0));
  if (Math.hypot(...m) >= eps) return 'normal';
  if (xs.length !== 2) return 'error';
  return X[0]!.map((v, i) => wn[0]! * v + wn[1]! * X[1]![i]! + (base ? base[i]! : 0));
}

const W = (...w: number[]) => w.map((weight) => ({ weight }));
const a = [1, 2, 3, 4];
const neg = (x: number[], k = 1) => x.map((v) => -k * v);

describe('multislerp with antipodal inputs', () => {
  it('b = -a with equal weights: the 2-model fallback gives 0', () => {
    const exp = docEdge([a, neg(a)], [1, 1]);
    expect(exp).toEqual([0, 0, 0, 0]);
    expect(run('multislerp', { inputs: [a, neg(a)], perModel: W(1, 1) }).out).toEqual(exp);
  });
  it('b = -2a: the fallback is the weighted sum w0 a + w1 b', () => {
    const exp = docEdge([a, neg(a, 2)], [1, 1]);
    expect(exp).toEqual([-0.5, -1, -1.5, -2]);
    expect(run('multislerp', { inputs: [a, neg(a, 2)], perModel: W(1, 1) }).out).toEqual(exp);
  });
  it('opposite task vectors around a base give the base back', () => {
    const base = [0.5, -0.25, 1, 2];
    const xs = [a.map((v, i) => base[i]! + v), a.map((v, i) => base[i]! - v)];
    const exp = docEdge(xs, [0.5, 0.5], base);
    expect(exp).toEqual(base);
    expect(run('multislerp', { inputs: xs, base, perModel: W(0.5, 0.5) }).out).toEqual(exp);
  });
  it('three models that cancel (a, -2a, a at 1, 2, 1) raise the antipodal error', () => {
    expect(docEdge([a, neg(a, 2), a], [1, 2, 1])).toBe('error');
    expect(() => run('multislerp', { inputs: [a, neg(a, 2), a], perModel: W(1, 2, 1) })).toThrow(
      /cancel out/,
    );
  });
  it('inputs that do not cancel still take the normal path', () => {
    const xs = [a, [-1, -2, -3, -3.5]];
    expect(docEdge(xs, [1, 1])).toBe('normal');
    const out = run('multislerp', { inputs: xs, perModel: W(1, 1) }).out;
    expect(out.every(Number.isFinite)).toBe(true);
  });
});
