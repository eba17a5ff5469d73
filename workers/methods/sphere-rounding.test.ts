/**
 * nuslerp, multislerp and karcher in bf16 against mergekit's code re-traced op by op with
 * torch-CPU semantics (./torch-ref.ts): every tensor op rounds to bf16; norms, dot products and
 * sums accumulate in float32 and round once; a Python float scalar stays float32 in
 * `tensor * scalar` and `tensor / scalar`; a Python float added or compared becomes bf16.
 */
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../io/dtypes.ts';
import { run } from './test-helpers.ts';
import { bf16, bf16Array, bf16Norm, bf16Sum, f32Total, mismatches } from './torch-ref.ts';

const f32 = Math.fround;
const clamp1 = (x: number) => Math.min(1, Math.max(-1, x));

/** mergekit's nuslerp(t, v0, v1) on one bf16 vector. */
function torchNuslerp(t: number, v0: number[], v1: number[]): number[] {
  const n0 = Math.max(bf16Norm(v0), bf16(1e-7));
  const n1 = Math.max(bf16Norm(v1), bf16(1e-7));
  const u0 = v0.map((x) => bf16(x / n0));
  const u1 = v1.map((x) => bf16(x / n1));
  const cos = clamp1(bf16(f32Total(u0.map((x, i) => bf16(x * u1[i]!)))));
  const theta = bf16(Math.acos(cos));
  const sin = bf16(Math.sin(theta));
  if (Math.abs(sin) < 1e-8) return v0.map((x, i) => bf16(bf16(x * f32(1 - t)) + bf16(v1[i]! * f32(t))));
  const c0 = bf16(Math.sin(bf16(theta * f32(1 - t))));
  const c1 = bf16(Math.sin(bf16(theta * f32(t))));
  return v0.map((x, i) => bf16(bf16(bf16(c0 * x) + bf16(c1 * v1[i]!)) / sin));
}

/** mergekit's multislerp (normalize_weights on, eps 1e-8). */
function torchMultislerp(xs: number[][], weights: number[], base?: number[]): number[] {
  const X = base ? xs.map((x) => x.map((v, i) => bf16(v - base[i]!))) : xs;
  const eps = bf16(1e-8);
  let w = weights.map(bf16);
  const ws = bf16Sum(w);
  w = w.map((v) => bf16(v / ws));
  const norms = X.map(bf16Norm);
  const U = X.map((x, k) => x.map((v) => bf16(v / bf16(norms[k]! + eps))));
  const mean = U[0]!.map((_, i) => bf16Sum(U.map((u, k) => bf16(u[i]! * w[k]!))));
  const mNorm = bf16Norm(mean);
  const m = mean.map((v) => bf16(v / mNorm));
  const dots = U.map((u) => bf16(f32Total(u.map((v, i) => bf16(v * m[i]!)))));
  const T = m.map((_, i) => bf16Sum(U.map((u, k) => bf16(bf16(u[i]! - bf16(dots[k]! * m[i]!)) * w[k]!))));
  const a = bf16(bf16Norm(T) + eps);
  const cosA = bf16(Math.cos(a));
  const sinA = bf16(bf16(Math.sin(a)) / a);
  const avgNorm = bf16Sum(norms.map((v, k) => bf16(v * w[k]!)));
  return m.map((v, i) => {
    const res = bf16(bf16(bf16(v * cosA) + bf16(T[i]! * sinA)) * avgNorm);
    return base ? bf16(res + base[i]!) : res;
  });
}

/** mergekit's karcher_merge_tensors with equal alphas (no zero-norm inputs). */
function torchKarcher(xs: number[][], maxIter = 10, tol = 1e-5): number[] {
  const N = xs.length;
  const alpha = 1 / N;
  // linalg.norm(t.float()): float32; t / n keeps the float32 divisor
  const f32Norm = (v: number[]) => f32(Math.sqrt(f32Total(v.map((x) => x * x))));
  const norms = xs.map(f32Norm);
  const units = xs.map((x, k) => x.map((v) => bf16(v / norms[k]!)));
  const a = f32(alpha / units.reduce((acc) => acc + alpha, 0)); // Python floats, then float32
  let u = units[0]!.map(() => 0);
  for (const x of units) u = u.map((v, i) => bf16(v + bf16(x[i]! * a)));
  const nu = f32Norm(u);
  u = u.map((v) => bf16(v / nu));
  for (let iter = 0; iter < maxIter; iter++) {
    let T = u.map(() => 0);
    for (const x of units) {
      const dot = clamp1(bf16(f32Total(u.map((v, i) => v * x[i]!))));
      const theta = bf16(Math.acos(dot));
      if (theta < tol) continue;
      const f = bf16(bf16(theta / bf16(Math.sin(theta))) * a);
      T = T.map((v, i) => bf16(v + bf16(f * bf16(x[i]! - bf16(dot * u[i]!)))));
    }
    const nT = f32Norm(T);
    if (nT < tol) break;
    const cT = bf16(f32(Math.cos(nT)));
    const sT = bf16(f32(Math.sin(nT)));
    u = u.map((v, i) => bf16(bf16(cT * v) + bf16(sT * bf16(T[i]! / nT))));
    const un = f32Norm(u);
    if (un > tol) u = u.map((v) => bf16(v / un));
  }
  const s = f32(norms.reduce((acc, v) => acc + alpha * v, 0));
  return u.map((v) => bf16(v * s));
}

const n = 4096;
const base = bf16Array(n, 7, 0.05);
const near = (seed: number, scale: number) => {
  const d = bf16Array(n, seed, scale);
  return base.map((b, i) => bf16(b + d[i]!));
};
const xs = [11, 12, 13].map((s) => near(s, 0.01));
const W = (...w: number[]) => w.map((weight) => ({ weight }));
/** The 16 rows of a [16, 256] tensor. */
const rows = (v: number[]) => Array.from({ length: 16 }, (_, r) => v.slice(r * 256, (r + 1) * 256));

describe('nuslerp in bf16', () => {
  it('task vectors, flattened (t = 0.7)', () => {
    const taus = xs.slice(0, 2).map((x) => x.map((v, i) => bf16(v - base[i]!)));
    const exp = torchNuslerp(0.7, taus[0]!, taus[1]!).map((v, i) => bf16(base[i]! + v));
    const { out } = run('nuslerp', {
      inputs: xs.slice(0, 2),
      base,
      perModel: W(0.3, 0.7),
      round: roundToBf16,
    });
    expect(mismatches(out, exp)).toEqual([]);
  });
  it('raw tensors, one slerp per row of [16, 256] (t = 0.25)', () => {
    const [r0, r1] = [rows(xs[0]!), rows(xs[1]!)];
    const exp = r0.flatMap((row, r) => torchNuslerp(0.25, row, r1[r]!));
    const { out } = run('nuslerp', {
      inputs: xs.slice(0, 2),
      perModel: W(3, 1),
      global: { nuslerp_flatten: false },
      shape: [16, 256],
      round: roundToBf16,
    });
    expect(mismatches(out, exp)).toEqual([]);
  });
  it('nearly parallel tensors: cos rounds to 1 in bf16, theta = 0, and it lerps', () => {
    const a = xs[0]!;
    const d = bf16Array(n, 21, 0.0005);
    const b = a.map((v, i) => bf16(v + d[i]!));
    const exp = torchNuslerp(0.5, a, b);
    expect(exp).toEqual(a.map((v, i) => bf16(bf16(v * 0.5) + bf16(b[i]! * 0.5))));
    const { out } = run('nuslerp', { inputs: [a, b], perModel: W(1, 1), round: roundToBf16 });
    expect(mismatches(out, exp)).toEqual([]);
  });
});

describe('nuslerp in bf16: opposite tensors', () => {
  it('b = -2a: cos rounds to -1 and it lerps (mergekit scales by 1 / sin(3.140625), ~1e3)', () => {
    const a = xs[0]!;
    const b = a.map((v) => -2 * v);
    const { out } = run('nuslerp', { inputs: [a, b], perModel: W(1, 1), round: roundToBf16 });
    expect(
      mismatches(
        out,
        a.map((v, i) => bf16(bf16(v * 0.5) + bf16(b[i]! * 0.5))),
      ),
    ).toEqual([]);
  });
});

describe('multislerp in bf16', () => {
  it('3 task vectors, weights 0.5 / 0.3 / 0.2', () => {
    const exp = torchMultislerp(xs, [0.5, 0.3, 0.2], base);
    const { out } = run('multislerp', { inputs: xs, base, perModel: W(0.5, 0.3, 0.2), round: roundToBf16 });
    expect(mismatches(out, exp)).toEqual([]);
  });
  it('3 raw tensors, weights 1 / 1 / 2', () => {
    const exp = torchMultislerp(xs, [1, 1, 2]);
    const { out } = run('multislerp', { inputs: xs, perModel: W(1, 1, 2), round: roundToBf16 });
    expect(mismatches(out, exp)).toEqual([]);
  });
});

describe('karcher in bf16', () => {
  it('3 task-vector-like tensors (wide angles: the iteration moves)', () => {
    const taus = xs.map((x) => x.map((v, i) => bf16(v - base[i]!)));
    const exp = torchKarcher(taus);
    const { out } = run('karcher', { inputs: taus, round: roundToBf16 });
    expect(mismatches(out, exp)).toEqual([]);
  });
  it('3 fine-tunes of one base: bf16 dots round to 1, theta = 0, no step from the normalised mean', () => {
    const close = [31, 32, 33].map((s) => near(s, 0.001));
    const exp = torchKarcher(close);
    const { out } = run('karcher', { inputs: close, round: roundToBf16 });
    expect(mismatches(out, exp)).toEqual([]);
  });
});
