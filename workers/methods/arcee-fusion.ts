/**
 * Arcee Fusion: take the other model's change only where it matters most: importance =
 * |delta| x the per-row KL divergence of the two models' softmaxes, and the change is kept
 * where importance reaches median + 1.5 IQR. Over 1e6 elements the quantiles come from a
 * sample of 1e6 (seeded here; torch.randperm in mergekit).
 */
import { hashAt } from '../rng.ts';
import { applyThreshold, topKThreshold } from './shared/select.ts';
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
  kernel: ({ inputs, base, shape, out, rng }) => {
    const a = base!;
    const b = inputs[0]!;
    const imp = importance(a, b, shape);
    const sorted = sampleOf(imp, rng(0).key).sort();
    const at = (q: number): number => sorted[Math.trunc(q * (sorted.length - 1))]!;
    const threshold = Math.fround(at(0.5) + Math.fround(1.5 * Math.fround(at(0.75) - at(0.25))));
    for (let i = 0; i < out.length; i++) {
      out[i] = imp[i]! >= threshold ? Math.fround(a[i]! + Math.fround(b[i]! - a[i]!)) : a[i]!;
    }
  },
};
