/**
 * merge_studio.weights for karcher and model_stock (KernelArgs.weights), against direct
 * implementations written here: the weighted Fréchet mean on the sphere by its own fixed-point
 * iteration, and Model Stock's nearest point to the centre of the fine-tunes; hand-checkable
 * geometry (the weighted Karcher mean of two directions lies that far along their geodesic;
 * Model Stock's point is the projection of the centre), bf16 compute near float32, and no
 * weights or equal ones giving the unweighted merge.
 */
import { describe, expect, it } from 'vitest';
import { roundToBf16 } from '../io/dtypes.ts';
import { mix32 } from '../rng.ts';
import { getMethod } from './registry.ts';
import { MERGEKIT_COMPAT, type ParamValue } from './types.ts';

/** A method's kernel on small arrays, with its defaults and `weights` (absent: none). */
function merge(
  method: string,
  inputs: readonly number[][],
  o: {
    base?: readonly number[];
    weights?: readonly number[];
    global?: Record<string, ParamValue>;
    shape?: readonly number[];
    round?: (x: number) => number;
  } = {},
): number[] {
  const m = getMethod(method)!;
  const n = inputs[0]!.length;
  const global = Object.fromEntries(
    m.params.filter((p) => p.scope === 'global').map((p) => [p.name, p.default!]),
  );
  const out = new Float32Array(n);
  m.kernel({
    inputs: inputs.map((x) => Float32Array.from(x)),
    base: o.base && Float32Array.from(o.base),
    shape: o.shape ?? [n],
    global: { ...global, ...o.global },
    perModel: inputs.map(() => ({})),
    round: o.round ?? Math.fround,
    rng: () => ({ key: 0 }) as never,
    out,
    warn: () => undefined,
    compat: MERGEKIT_COMPAT,
    ...(o.weights && { weights: o.weights }),
  });
  return [...out];
}

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: readonly number[]): number => Math.sqrt(dot(a, a));
const scaled = (a: readonly number[], f: number): number[] => a.map((x) => x * f);
const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);
const normalised = (w: readonly number[]): number[] => scaled(w, 1 / sum(w));
const noisy = (n: number, seed: number, scale = 1): number[] =>
  Array.from({ length: n }, (_, i) => (((mix32(i ^ mix32(seed)) % 2001) - 1000) / 1000) * scale);

/**
 * The weighted Fréchet (Karcher) mean of the directions, by gradient steps on the sphere:
 * u <- exp_u(sum_k a_k log_u(x_k)) until the step vanishes; times the weighted mean norm.
 */
function karcherRef(xs: readonly number[][], w: readonly number[]): number[] {
  const a = normalised(w);
  const units = xs.map((x) => scaled(x, 1 / norm(x)));
  let u = units[0]!.map((_, i) => sum(units.map((x, k) => a[k]! * x[i]!)));
  u = scaled(u, 1 / norm(u));
  for (let iter = 0; iter < 1000; iter++) {
    const step = u.map(() => 0);
    units.forEach((x, k) => {
      const c = Math.min(1, Math.max(-1, dot(u, x)));
      const theta = Math.acos(c);
      if (theta === 0) return;
      x.forEach((xi, i) => (step[i]! += ((a[k]! * theta) / Math.sin(theta)) * (xi - c * u[i]!)));
    });
    const len = norm(step);
    if (len < 1e-13) break;
    u = u.map((ui, i) => Math.cos(len) * ui + (Math.sin(len) / len) * step[i]!);
    u = scaled(u, 1 / norm(u));
  }
  return scaled(u, sum(xs.map((x, k) => a[k]! * norm(x))));
}

/**
 * Model Stock for weights w, from its geometry: the weighted average of the fine-tunes, the
 * pair-weighted mean cosine of their offsets, and t = cos / (S + (1 - S) cos), S = sum w^2,
 * the point of base + t (avg - base) nearest the fine-tunes' centre (one row: the tensor).
 */
function modelStockRef(xs: readonly number[][], base: readonly number[], w: readonly number[]): number[] {
  const wn = normalised(w);
  const avg = base.map((_, i) => sum(xs.map((x, k) => wn[k]! * x[i]!)));
  const off = xs.map((x) => x.map((v, i) => v - base[i]!));
  let cs = 0;
  let ws = 0;
  for (let a = 0; a < xs.length; a++)
    for (let b = a + 1; b < xs.length; b++) {
      const c = Math.min(
        1,
        Math.max(-1, dot(off[a]!, off[b]!) / Math.max(norm(off[a]!) * norm(off[b]!), 1e-6)),
      );
      cs += wn[a]! * wn[b]! * c;
      ws += wn[a]! * wn[b]!;
    }
  const cos = cs / ws;
  const S = sum(wn.map((x) => x * x));
  const t = cos / (S + (1 - S) * cos);
  return avg.map((v, i) => t * v + (1 - t) * base[i]!);
}

const near = (got: readonly number[], want: readonly number[], tol: number): void => {
  expect(got).toHaveLength(want.length);
  got.forEach((v, i) =>
    expect(Math.abs(v - want[i]!), `element ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(want[i]!)),
    ),
  );
};

describe('weighted karcher', () => {
  const tight = { max_iter: 200, tol: 1e-9 };

  it('two directions: the mean lies a_2 of the way along their geodesic', () => {
    const got = merge(
      'karcher',
      [
        [1, 0],
        [0, 1],
      ],
      { weights: [1, 3], global: tight },
    );
    const angle = 0.75 * (Math.PI / 2);
    near(got, [Math.cos(angle), Math.sin(angle)], 1e-6);
    // unweighted: half way
    near(
      merge(
        'karcher',
        [
          [1, 0],
          [0, 1],
        ],
        { global: tight },
      ),
      [Math.SQRT1_2, Math.SQRT1_2],
      1e-6,
    );
  });

  it('a zero input counts in the norm’s mean with its weight, as in mergekit’s karcher_merge_tensors', () => {
    near(
      merge(
        'karcher',
        [
          [3, 4],
          [0, 0],
        ],
        { weights: [1, 3] },
      ),
      [0.75, 1],
      1e-7,
    );
  });

  it('matches the weighted Fréchet-mean iteration on noise', () => {
    for (const [k, w] of [
      [3, [1, 2, 3]],
      [4, [0.1, 5, 1, 1]],
      [5, [2, 1, 1, 1, 7]],
    ] as const) {
      const xs = Array.from({ length: k }, (_, j) => noisy(24, 10 + j).map((v, i) => v + (i % 3)));
      const got = merge('karcher', xs, { weights: w, global: tight });
      near(got, karcherRef(xs, w), 2e-6);
      // and the weights count
      expect(
        Math.max(...got.map((v, i) => Math.abs(v - karcherRef(xs, [1, 1, 1, 1, 1].slice(0, k))[i]!))),
      ).toBeGreaterThan(1e-3);
    }
  });

  it('weight 2 is the model taken twice; equal weights are the unweighted mean', () => {
    const [x, y] = [noisy(16, 1), noisy(16, 2)];
    near(
      merge('karcher', [x, y], { weights: [2, 1], global: tight }),
      merge('karcher', [x, x, y], { global: tight }),
      1e-6,
    );
    near(merge('karcher', [x, y, x], { weights: [5, 5, 5] }), merge('karcher', [x, y, x]), 1e-6);
  });

  it('bf16 compute follows the float32 result', () => {
    const xs = [noisy(64, 3), noisy(64, 4), noisy(64, 5)];
    const f32 = merge('karcher', xs, { weights: [1, 2, 4] });
    near(merge('karcher', xs, { weights: [1, 2, 4], round: roundToBf16 }), f32, 2e-2);
  });
});

describe('weighted model_stock', () => {
  it('the centre’s nearest point on the segment: offsets of equal norm at equal angles', () => {
    // fine-tunes = centre d plus orthogonal noise of norm r: pairwise cos 1 / (1 + r^2)
    const r = 0.8;
    const d = [1, 0, 0, 0, 0];
    const xs = [1, 2, 3].map((j) => d.map((v, i) => v + (i === j + 1 ? r : 0)));
    const base = [0, 0, 0, 0, 0];
    for (const w of [
      [1, 1, 1],
      [1, 2, 3],
      [5, 1, 0.25],
    ]) {
      const got = merge('model_stock', xs, { base, weights: w });
      const wn = normalised(w);
      const avg = d.map((_, i) => sum(xs.map((x, k) => wn[k]! * x[i]!)));
      // the projection of d on the line through 0 and avg
      near(got, scaled(avg, dot(d, avg) / dot(avg, avg)), 1e-6);
    }
  });

  it('matches the reference on noise, per tensor and per row', () => {
    const base = noisy(60, 1);
    const xs = [2, 3, 4, 5].map((s) => base.map((v, i) => v + 0.3 * noisy(60, s)[i]! + 0.2 * Math.sin(i)));
    const w = [1, 0.5, 2, 3];
    near(merge('model_stock', xs, { base, weights: w }), modelStockRef(xs, base, w), 2e-6);
    const rows = merge('model_stock', xs, {
      base,
      weights: w,
      shape: [4, 15],
      global: { filter_wise: true },
    });
    const want = [0, 1, 2, 3].flatMap((r) =>
      modelStockRef(
        xs.map((x) => x.slice(15 * r, 15 * r + 15)),
        base.slice(15 * r, 15 * r + 15),
        w,
      ),
    );
    near(rows, want, 2e-6);
    // and the weights count
    expect(merge('model_stock', xs, { base, weights: w })).not.toEqual(merge('model_stock', xs, { base }));
  });

  it('equal weights are the unweighted merge; bf16 compute follows float32', () => {
    const base = noisy(40, 7);
    const xs = [8, 9, 10].map((s) => base.map((v, i) => v + 0.1 * noisy(40, s)[i]!));
    near(merge('model_stock', xs, { base, weights: [2, 2, 2] }), merge('model_stock', xs, { base }), 1e-6);
    const f32 = merge('model_stock', xs, { base, weights: [1, 3, 2] });
    near(merge('model_stock', xs, { base, weights: [1, 3, 2], round: roundToBf16 }), f32, 2e-2);
  });
});
