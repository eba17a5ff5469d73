/**
 * Arcee Fusion: take the other model's change only where it matters most: importance =
 * |delta| x the per-row KL divergence of the two models' softmaxes, and the change is kept
 * where importance reaches median + 1.5 IQR. Over 1e6 elements the quantiles come from a
 * sample of 1e6 (seeded here; torch.randperm in mergekit).
 *
 * float32 compute: float64 importance, rounded once. bf16/f16 compute: the importance op by op
 * with torch's roundings (importanceRounded), so its many ties fall as mergekit's do.
 */
import { hashAt } from '../rng.ts';
import { applyThreshold, topKThreshold } from './shared/select.ts';
import { isF32 } from './shared/vec.ts';
import type { MergeMethod } from './types.ts';

const SAMPLE = 1_000_000;

/** p = softmax(x) + 1e-8 over [start, start + len), written to dst. */
function softmaxInto(x: Float32Array, start: number, len: number, dst: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < len; j++) max = Math.max(max, x[start + j]!);
  let sum = 0;
  for (let j = 0; j < len; j++) sum += dst[j] = Math.exp(x[start + j]! - max);
  for (let j = 0; j < len; j++) dst[j] = dst[j]! / sum + 1e-8;
}

function importance(a: Float32Array, b: Float32Array, shape: readonly number[]): Float32Array {
  const n = a.length;
  const cols = shape.length >= 2 ? shape[shape.length - 1]! : n;
  const p = new Float64Array(cols);
  const q = new Float64Array(cols);
  const imp = new Float32Array(n);
  for (let start = 0; start < n; start += cols) {
    softmaxInto(b, start, cols, p);
    softmaxInto(a, start, cols, q);
    let kl = 0;
    for (let j = 0; j < cols; j++) kl += p[j]! * Math.log(p[j]! / q[j]!);
    for (let j = 0; j < cols; j++) imp[start + j] = Math.abs(b[start + j]! - a[start + j]!) * kl;
  }
  return imp;
}

/**
 * mergekit's _compute_importance on bf16/f16 tensors. softmax of a reduced-float tensor works
 * in float32 (exp(x - max), a float32 sum, times its reciprocal) and rounds once; `+ eps`
 * converts eps to the dtype; p / q, log, p * log and |b - a| x kl each round; the row sum
 * accumulates in float32 and rounds once.
 */
function importanceRounded(
  a: Float32Array,
  b: Float32Array,
  shape: readonly number[],
  r: (x: number) => number,
): Float32Array {
  const n = a.length;
  const cols = shape.length >= 2 ? shape[shape.length - 1]! : n;
  const p = new Float64Array(cols);
  const q = new Float64Array(cols);
  const eps = r(1e-8);
  const softmax = (x: Float32Array, start: number, dst: Float64Array): void => {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[start + j]!);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += dst[j] = Math.fround(Math.exp(Math.fround(x[start + j]! - max)));
    const inv = Math.fround(1 / Math.fround(sum));
    for (let j = 0; j < cols; j++) dst[j] = r(r(dst[j]! * inv) + eps);
  };
  const imp = new Float32Array(n);
  for (let start = 0; start < n; start += cols) {
    softmax(b, start, p);
    softmax(a, start, q);
    let kl = 0;
    for (let j = 0; j < cols; j++) kl += r(p[j]! * r(Math.log(r(p[j]! / q[j]!))));
    const klR = r(Math.fround(kl));
    for (let j = 0; j < cols; j++) imp[start + j] = r(Math.abs(r(b[start + j]! - a[start + j]!)) * klR);
  }
  return imp;
}

/** The elements the quantiles are taken from: all, or a seeded sample without replacement. */
function sampleOf(imp: Float32Array, key: number): Float32Array {
  if (imp.length <= SAMPLE) return Float32Array.from(imp);
  // The SAMPLE elements with the largest hashes: a uniform sample without replacement.
  const keyAt = (i: number): number => hashAt(key, i);
  const picked = new Uint8Array(imp.length);
  applyThreshold(imp.length, topKThreshold(imp.length, SAMPLE, keyAt), keyAt, picked);
  const out = new Float32Array(SAMPLE);
  for (let i = 0, j = 0; i < imp.length; i++) if (picked[i]) out[j++] = imp[i]!;
  return out;
}

export const arceeFusion: MergeMethod = {
  name: 'arcee_fusion',
  prettyName: 'Arcee Fusion',
  description: 'Take the other model’s changes only where they are unusually important (KL-weighted).',
  paper: { title: 'Arcee Fusion', url: 'https://arcee.ai' },
  base: 'required',
  models: { min: 1, max: 1 },
  params: [],
  rectify: 'crop-common',
  random: true,
  elementwise: () => false,
  kernel: ({ inputs, base, shape, out, rng, round: r }) => {
    const a = base!;
    const b = inputs[0]!;
    const imp = isF32(r) ? importance(a, b, shape) : importanceRounded(a, b, shape, r);
    const sorted = sampleOf(imp, rng(0).key).sort();
    const at = (q: number): number => sorted[Math.trunc(q * (sorted.length - 1))]!;
    // 0-dim tensors of the dtype: q3 - q1, times the Python float 1.5 (kept float32), plus the median
    const threshold = r(at(0.5) + r(1.5 * r(at(0.75) - at(0.25))));
    // The float32 fusion mask promotes `delta * mask` and the add to float32: only the delta is
    // rounded to the dtype here, and the sum is float32 (the writer rounds it to the output dtype).
    for (let i = 0; i < out.length; i++) {
      out[i] = imp[i]! >= threshold ? Math.fround(a[i]! + r(b[i]! - a[i]!)) : a[i]!;
    }
  },
};
