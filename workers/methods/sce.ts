/**
 * SCE (Select, Calculate, Erase; from FuseChat): keep the elements where the task vectors
 * vary most, weight each model by the mean square of its task vector, and average only the
 * entries that agree with the elected sign. `weight` is not used.
 *
 * The sign is elected as mergekit does, by the sign of the sum of the task vectors, or with
 * `merge_studio.consensus: count` by the sign more of them have (compat.consensus).
 *
 * float32 compute: torch's float32 steps (calculateF32, eraseF32). bf16/f16 compute: mergekit's ops one by one with torch's roundings
 * (calculateRounded, eraseRounded).
 */
import { applyThreshold, topKThreshold } from './shared/select.ts';
import { torchSumF32 } from './shared/torch-sum.ts';
import { isF32 } from './shared/vec.ts';
import { num, type MergeMethod } from './types.ts';

/** The sign-election vote of an entry by count: +1, -1, 0 for a zero (NaN too). */
const vote = (x: number): number => (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0);

export const sce: MergeMethod = {
  name: 'sce',
  prettyName: 'SCE',
  description: 'Keep high-variance entries, weight models by task-vector energy, average agreeing signs.',
  paper: { title: 'FuseChat: Knowledge Fusion of Chat Models', url: 'https://arxiv.org/abs/2408.07990' },
  base: 'required',
  models: { min: 1 },
  params: [
    {
      name: 'select_topk',
      scope: 'global',
      type: 'number',
      default: 1,
      min: 0,
      max: 1,
      description: 'Fraction of elements (by variance across models) that take part.',
    },
    {
      name: 'int8_mask',
      scope: 'global',
      type: 'boolean',
      default: false,
      noNumericEffect: true,
      description: 'Store masks as int8 to save memory in mergekit; no effect on the numbers.',
    },
  ],
  rectify: 'none',
  elementwise: () => false,
  studioOptions: ['consensus'],
  kernel: ({ inputs, base, global, out, round: r, compat }) => {
    const byCount = compat.consensus === 'count';
    const b = base!;
    const n = out.length;
    const M = inputs.length;
    if (M === 0) {
      out.set(b);
      return;
    }
    const tv = inputs as Float32Array[];
    // float32: the store into the Float32Array is the rounding
    if (isF32(r)) for (const x of tv) for (let i = 0; i < n; i++) x[i] = x[i]! - b[i]!;
    else for (const x of tv) for (let i = 0; i < n; i++) x[i] = r(x[i]! - b[i]!);
    const topk = num(global, 'select_topk');
    if (topk < 1) select(tv, topk, n, r);
    if (!isF32(r)) {
      eraseRounded(tv, b, calculateRounded(tv, r), out, r, byCount);
      return;
    }
    eraseF32(tv, b, calculateF32(tv), out, byCount);
  },
};

/**
 * sce_weight in float32, as torch takes it: each tau^2 rounded, their sum in torch's order
 * (./shared/torch-sum.ts), divided by n; the weights' sum in float32 (`.item()`), then each
 * weight divided by it in float32; uniform weights when the sum is under 1e-6.
 */
function calculateF32(tv: readonly Float32Array[]): number[] {
  const w = tv.map((x) => Math.fround(torchSumF32(x, x) / x.length));
  let wsum = 0;
  for (const v of w) wsum = Math.fround(wsum + v);
  const M = tv.length;
  return Math.abs(wsum) < 1e-6 ? w.map(() => Math.fround(1 / M)) : w.map((v) => Math.fround(v / wsum));
}

/**
 * The sign election and the weighted mean over agreeing models, in torch's float32 steps: the
 * sums over the models from +0 in model order (of the task vectors; of each task vector times
 * its erased weight, w or 0, so an infinite or NaN entry that loses the election still gives
 * NaN, as in torch; of the erased weights), the division by the divisor clamped to
 * float32(1e-6), then the base added.
 */
function eraseF32(
  tv: readonly Float32Array[],
  b: Float32Array,
  w: readonly number[],
  out: Float32Array,
  byCount: boolean,
): void {
  const M = tv.length;
  const lo = Math.fround(1e-6);
  const f = Math.fround;
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    if (byCount) for (let k = 0; k < M; k++) s += vote(tv[k]![i]!);
    else for (let k = 0; k < M; k++) s = f(s + tv[k]![i]!);
    const elected = s >= 0 ? 1 : -1;
    let merged = 0;
    let divisor = 0;
    for (let k = 0; k < M; k++) {
      const x = tv[k]![i]!;
      const ew = Math.sign(x) === elected ? w[k]! : 0;
      merged = f(merged + f(x * ew));
      divisor = f(divisor + ew);
    }
    out[i] = f(b[i]! + f(merged / Math.max(divisor, lo)));
  }
}

/**
 * sce_weight on bf16/f16 task vectors: mean(tau^2) squares in the dtype, then a float32 sum
 * divided by n and rounded once (torch's reduced-float mean); the weights' sum (a bf16/f16
 * value, `.item()`) divides them as a float32 scalar of the opmath.
 */
function calculateRounded(tv: readonly Float32Array[], r: (x: number) => number): number[] {
  const M = tv.length;
  const w = tv.map((x) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += r(x[i]! * x[i]!);
    return r(Math.fround(s) / x.length);
  });
  let wsum = 0; // torch.sum(weights): float32 accumulation, one rounding
  for (const v of w) wsum = Math.fround(wsum + v);
  wsum = r(wsum);
  return Math.abs(wsum) < 1e-6 ? w.map(() => r(1 / M)) : w.map((v) => r(v / wsum));
}

/**
 * The sign election and the weighted mean over agreeing models in bf16/f16: the sums over the
 * models (`sum(dim=0)` of the task vectors, of the weighted entries, of the weights) accumulate
 * in float32 and round once; each product, the division and the final add round.
 */
function eraseRounded(
  tv: readonly Float32Array[],
  b: Float32Array,
  w: readonly number[],
  out: Float32Array,
  r: (x: number) => number,
  byCount: boolean,
): void {
  const M = tv.length;
  const lo = r(1e-6); // clamp(min=1e-6): the bound converted to the tensor's dtype
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    // by count: a sum of small integers, exact
    if (byCount) for (let k = 0; k < M; k++) s += vote(tv[k]![i]!);
    else for (let k = 0; k < M; k++) s = Math.fround(s + tv[k]![i]!);
    // (sign_weight >= 0) on the rounded sum: an f16 sum that underflows to -0 elects +
    const elected = r(s) >= 0 ? 1 : -1;
    let merged = 0;
    let divisor = 0;
    for (let k = 0; k < M; k++) {
      const x = tv[k]![i]!;
      if (Math.sign(x) !== elected) continue; // erased: x * 0 and a weight of 0 add nothing
      merged = Math.fround(merged + r(x * w[k]!));
      divisor = Math.fround(divisor + w[k]!);
    }
    out[i] = r(b[i]! + r(r(merged) / Math.max(r(divisor), lo)));
  }
}

/** Zero, in every task vector, the elements outside the top-k by variance across models. */
function select(tv: Float32Array[], topk: number, n: number, r: (x: number) => number): void {
  const M = tv.length;
  const variance = new Float32Array(n);
  let nonzero = 0;
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < M; k++) mean += tv[k]![i]!;
    mean /= M;
    let v = 0;
    for (let k = 0; k < M; k++) v += (tv[k]![i]! - mean) ** 2;
    // torch.var of a bf16/f16 tensor: Welford in float64, one rounding to the dtype (the
    // Float32Array store is that rounding in float32 mode). An f16 variance may underflow to 0.
    variance[i] = r(v / M);
    if (variance[i] !== 0) nonzero++;
  }
  // mergekit: k = int(count_nonzero(var) * select_topk), the product taken in float32.
  const k = Math.trunc(Math.fround(nonzero * topk));
  const keep = new Uint8Array(n);
  if (k > 0) {
    const bits = new Uint32Array(variance.buffer);
    const keyAt = (i: number): number => bits[i]! & 0x7fffffff;
    applyThreshold(n, topKThreshold(n, k, keyAt), keyAt, keep);
  }
  for (const x of tv) for (let i = 0; i < n; i++) if (!keep[i]) x[i] = 0;
}
