/**
 * Seeded random parity cases: every method at least once, with the shapes, parameters and
 * data that reach its branches (ties in |delta|, exact zeros, breadcrumbs' empty slice, per-row
 * and per-column nuslerp, filter-wise model stock, arcee_fusion's sampled quantiles).
 *
 * Data look like a model family: a base with entries of about 0.1 and fine-tunes that differ
 * from it by about 0.01. 'quantised' deltas are small multiples of 2^-9, so many magnitudes tie;
 * 'sparse' deltas are exactly zero half of the time.
 */
import { uniformAt } from '../../../workers/rng.ts';
import type { ParamValue } from '../../../workers/methods/types.ts';

type Params = Readonly<Record<string, ParamValue>>;

export interface ParityCase {
  readonly name: string;
  readonly method: string;
  readonly shape: readonly number[];
  readonly models: number;
  readonly base: boolean;
  readonly global?: Params;
  readonly perModel?: readonly Params[];
  readonly data?: 'dense' | 'quantised' | 'sparse' | 'tiny';
  readonly seed: number;
}

const W = (...w: number[]): Params[] => w.map((weight) => ({ weight }));

export const CASES: readonly ParityCase[] = [
  {
    name: 'linear',
    method: 'linear',
    shape: [40, 48],
    models: 3,
    base: false,
    perModel: W(0.5, 0.3, 0.4),
    seed: 1,
  },
  {
    name: 'linear-unnormalised',
    method: 'linear',
    shape: [1000],
    models: 2,
    base: false,
    global: { normalize: false },
    perModel: W(1, -0.5),
    seed: 2,
  },
  {
    name: 'passthrough-scale',
    method: 'passthrough',
    shape: [40, 48],
    models: 1,
    base: false,
    perModel: [{ scale: 0.7 }],
    seed: 3,
  },
  { name: 'passthrough-copy', method: 'passthrough', shape: [300], models: 1, base: false, seed: 4 },
  {
    name: 'nearswap',
    method: 'nearswap',
    shape: [40, 48],
    models: 1,
    base: true,
    global: { t: 0.004 },
    seed: 5,
  },
  { name: 'ram', method: 'ram', shape: [40, 48], models: 3, base: true, data: 'sparse', seed: 6 },
  {
    name: 'ramplus-tl',
    method: 'ramplus_tl',
    shape: [40, 48],
    models: 3,
    base: true,
    data: 'sparse',
    global: { r: 0.3, alpha: 0.5, epsilon: 0.0002 },
    seed: 7,
  },
  {
    name: 'task-arithmetic',
    method: 'task_arithmetic',
    shape: [40, 48],
    models: 2,
    base: true,
    global: { lambda: 0.8 },
    perModel: W(1, -0.5),
    seed: 8,
  },
  {
    name: 'ties',
    method: 'ties',
    shape: [40, 48],
    models: 3,
    base: true,
    perModel: [
      { weight: 0.6, density: 0.5 },
      { weight: 0.3, density: 0.3 },
      { weight: 0.4, density: 0.8 },
    ],
    seed: 9,
  },
  {
    name: 'ties-quantised',
    method: 'ties',
    shape: [40, 48],
    models: 2,
    base: true,
    data: 'quantised',
    perModel: [
      { weight: 0.6, density: 0.37 },
      { weight: 0.5, density: 0.61 },
    ],
    seed: 10,
  },
  {
    name: 'ties-keeps-nothing',
    method: 'ties',
    shape: [300],
    models: 2,
    base: true,
    perModel: [
      { weight: 1, density: 0.001 },
      { weight: 1, density: 0.5 },
    ],
    seed: 11,
  },
  {
    name: 'dare-ties',
    method: 'dare_ties',
    shape: [40, 48],
    models: 2,
    base: true,
    global: { lambda: 1.2 },
    perModel: [
      { weight: 0.6, density: 0.5 },
      { weight: 0.4, density: 0.3 },
    ],
    seed: 12,
  },
  {
    name: 'dare-linear',
    method: 'dare_linear',
    shape: [40, 48],
    models: 2,
    base: true,
    global: { normalize: true },
    perModel: [
      { weight: 0.6, density: 0.4 },
      { weight: 0.8, density: 0.6 },
    ],
    seed: 13,
  },
  {
    name: 'breadcrumbs',
    method: 'breadcrumbs',
    shape: [40, 48],
    models: 2,
    base: true,
    data: 'quantised',
    perModel: [
      { weight: 0.7, density: 0.8, gamma: 0.02 },
      { weight: 0.5, density: 0.9 },
    ],
    seed: 14,
  },
  {
    name: 'breadcrumbs-ties-empty-slice',
    method: 'breadcrumbs_ties',
    shape: [128],
    models: 2,
    base: true,
    global: { normalize: true },
    perModel: [
      { weight: 0.6, density: 0.7, gamma: 0.005 },
      { weight: 0.4, density: 0.6 },
    ],
    seed: 15,
  },
  {
    name: 'della',
    method: 'della',
    shape: [32, 48],
    models: 2,
    base: true,
    global: { lambda: 1.1 },
    perModel: [
      { weight: 0.5, density: 0.5, epsilon: 0.1 },
      { weight: 0.5, density: 0.4, epsilon: 0.2 },
    ],
    seed: 16,
  },
  {
    name: 'della-quantised',
    method: 'della',
    shape: [24, 100],
    models: 2,
    base: true,
    data: 'quantised',
    perModel: [
      { weight: 0.7, density: 0.6 },
      { weight: 0.3, density: 0.5 },
    ],
    seed: 17,
  },
  {
    name: 'della-linear-1d',
    method: 'della_linear',
    shape: [500],
    models: 2,
    base: true,
    perModel: [
      { weight: 0.7, density: 0.6 },
      { weight: 0.3, density: 0.5 },
    ],
    seed: 18,
  },
  { name: 'slerp', method: 'slerp', shape: [40, 48], models: 1, base: true, global: { t: 0.3 }, seed: 19 },
  {
    name: 'slerp-colinear',
    method: 'slerp',
    shape: [300],
    models: 1,
    base: true,
    data: 'tiny',
    global: { t: 0.7 },
    seed: 20,
  },
  {
    name: 'nuslerp-flat',
    method: 'nuslerp',
    shape: [40, 48],
    models: 2,
    base: false,
    perModel: W(0.7, 0.3),
    seed: 21,
  },
  {
    name: 'nuslerp-rows-base',
    method: 'nuslerp',
    shape: [40, 48],
    models: 2,
    base: true,
    global: { nuslerp_flatten: false },
    perModel: W(0.7, 0.3),
    seed: 22,
  },
  {
    name: 'nuslerp-columns-base',
    method: 'nuslerp',
    shape: [40, 48],
    models: 2,
    base: true,
    global: { nuslerp_flatten: false, nuslerp_row_wise: true },
    perModel: W(0.4, 0.6),
    seed: 23,
  },
  {
    name: 'multislerp-base',
    method: 'multislerp',
    shape: [40, 48],
    models: 3,
    base: true,
    perModel: W(0.5, 0.3, 0.4),
    seed: 24,
  },
  {
    name: 'multislerp',
    method: 'multislerp',
    shape: [1000],
    models: 2,
    base: false,
    perModel: W(1, 2),
    seed: 25,
  },
  {
    name: 'karcher',
    method: 'karcher',
    shape: [40, 48],
    models: 3,
    base: false,
    global: { max_iter: 20, tol: 1e-6 },
    seed: 26,
  },
  { name: 'model-stock', method: 'model_stock', shape: [40, 48], models: 3, base: true, seed: 27 },
  {
    name: 'model-stock-filter-wise',
    method: 'model_stock',
    shape: [40, 48],
    models: 2,
    base: true,
    global: { filter_wise: true },
    seed: 28,
  },
  {
    name: 'sce',
    method: 'sce',
    shape: [40, 48],
    models: 3,
    base: true,
    global: { select_topk: 0.6 },
    seed: 29,
  },
  {
    name: 'sce-quantised',
    method: 'sce',
    shape: [40, 48],
    models: 2,
    base: true,
    data: 'quantised',
    global: { select_topk: 0.5 },
    seed: 30,
  },
  { name: 'sce-all', method: 'sce', shape: [300], models: 2, base: true, seed: 31 },
  { name: 'arcee-fusion', method: 'arcee_fusion', shape: [40, 64], models: 1, base: true, seed: 32 },
];

/** A tensor over 1e6 elements, where arcee_fusion samples its quantiles (slow on SwiftShader). */
export const LARGE_CASES: readonly ParityCase[] = [
  {
    name: 'arcee-fusion-sampled',
    method: 'arcee_fusion',
    shape: [1025, 1000],
    models: 1,
    base: true,
    seed: 33,
  },
];

function noise(seed: number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Sum of two uniforms: a tent distribution, enough spread and a few near-equal values.
    out[i] = (uniformAt(seed, 2 * i) + uniformAt(seed, 2 * i + 1) - 1) * scale;
  }
  return out;
}

/** The case's base (or undefined) and inputs, all of the same length. */
export function caseData(c: ParityCase): { base: Float32Array | undefined; inputs: Float32Array[] } {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const base = noise(c.seed * 7919, n, 0.1);
  const inputs = Array.from({ length: c.models }, (_, k) => {
    const d = noise(c.seed * 7919 + 17 * (k + 1), n, 0.01);
    for (let i = 0; i < n; i++) {
      if (c.data === 'quantised') d[i] = Math.round(d[i]! * 512) / 512;
      if (c.data === 'sparse' && uniformAt(c.seed + k, i) < 0.5) d[i] = 0;
      if (c.data === 'tiny') d[i] = d[i]! * 1e-4;
      d[i] = base[i]! + d[i]!;
    }
    return d;
  });
  return { base: c.base ? base : undefined, inputs };
}
