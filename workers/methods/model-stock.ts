/**
 * Model Stock: move from the base towards the average of the fine-tunes by a factor set by
 * the angle between their task vectors: t = N cos / (1 + (N - 1) cos), cos the mean pairwise
 * cosine (per tensor, or per row with filter_wise). t is not clamped, as in mergekit.
 *
 * float32 compute: float64 steps, one rounding per output. bf16/f16 compute: mergekit's ops
 * one by one with torch's roundings (kernelRounded).
 */
import { normIn } from './shared/reduced.ts';
import { isF32 } from './shared/vec.ts';
import { bool, type KernelArgs, type MergeMethod } from './types.ts';

/** Mean pairwise cosine of the offsets over elements [start, start + len). */
function meanPairwiseCos(offsets: readonly Float32Array[], start: number, len: number): number {
  let sum = 0;
  let pairs = 0;
  const norms = offsets.map((o) => {
    let s = 0;
    for (let i = start; i < start + len; i++) s += o[i]! * o[i]!;
    return Math.sqrt(s);
  });
  for (let a = 0; a < offsets.length; a++) {
    for (let b = a + 1; b < offsets.length; b++) {
      let d = 0;
      const x = offsets[a]!;
      const y = offsets[b]!;
      for (let i = start; i < start + len; i++) d += x[i]! * y[i]!;
      sum += Math.min(1, Math.max(-1, d / Math.max(norms[a]! * norms[b]!, 1e-6)));
      pairs++;
    }
  }
  return sum / pairs;
}

export const modelStock: MergeMethod = {
  name: 'model_stock',
  prettyName: 'Model Stock',
  description: 'Average the fine-tunes, then pull towards the base by an amount set by their angle.',
  paper: {
    title: 'Model Stock: All we need is just a few fine-tuned models',
    url: 'https://arxiv.org/abs/2403.19522',
  },
  base: 'required',
  models: { min: 2 },
  params: [
    {
      name: 'filter_wise',
      scope: 'global',
      type: 'boolean',
      default: false,
      description: 'One angle per row instead of per tensor (the authors advise against it).',
    },
  ],
  rectify: 'crop-common',
  elementwise: () => false,
  kernel: (args) => {
    if (!isF32(args.round)) {
      kernelRounded(args);
      return;
    }
    const { inputs, base, global, shape, out } = args;
    const w0 = base!;
    const N = inputs.length;
    const n = out.length;
    // Average of the fine-tunes, before the inputs become offsets.
    const avg = new Float32Array(n);
    for (const x of inputs) for (let i = 0; i < n; i++) avg[i] = avg[i]! + x[i]!;
    for (let i = 0; i < n; i++) avg[i] = avg[i]! / N;
    const offsets = inputs as Float32Array[];
    for (const x of offsets) for (let i = 0; i < n; i++) x[i] = x[i]! - w0[i]!;
    const rowLen = bool(global, 'filter_wise') && shape.length >= 1 ? shape[shape.length - 1]! : n;
    for (let start = 0; start < n; start += rowLen) {
      const cos = meanPairwiseCos(offsets, start, rowLen);
      const t = (N * cos) / (1 + (N - 1) * cos);
      for (let i = start; i < start + rowLen; i++) out[i] = t * avg[i]! + (1 - t) * w0[i]!;
    }
  },
};

/**
 * mergekit's model_stock on bf16/f16 tensors, op by op: every tensor op rounds to the compute
 * dtype (`r`); norms, dot products (`(a * b).sum(-1)`) and the mean over the pairs accumulate in
 * float32 and round once (torch's mean of a bf16/f16 tensor divides the float32 sum before
 * rounding). Python's `sum(ws)` adds the models one rounded step at a time, and the integer
 * scalars N, N - 1 are exact in the float opmath of `scalar * tensor`.
 */
function kernelRounded({ inputs, base, global, shape, out, round: r }: KernelArgs): void {
  const w0 = base!;
  const N = inputs.length;
  const n = out.length;
  const avg = new Float32Array(n);
  avg.set(inputs[0]!);
  for (let k = 1; k < N; k++) {
    const x = inputs[k]!;
    for (let i = 0; i < n; i++) avg[i] = r(avg[i]! + x[i]!);
  }
  for (let i = 0; i < n; i++) avg[i] = r(avg[i]! / N);
  const offsets = inputs as Float32Array[];
  for (const x of offsets) for (let i = 0; i < n; i++) x[i] = r(x[i]! - w0[i]!);
  const lo = r(1e-6); // clamp(min=1e-6): the bound converted to the tensor's dtype
  const rowLen = bool(global, 'filter_wise') && shape.length >= 1 ? shape[shape.length - 1]! : n;
  for (let start = 0; start < n; start += rowLen) {
    const norms = offsets.map((o) => normIn(r, o, start, 1, rowLen));
    let sum = 0; // float32 sum over the stacked pair cosines
    let pairs = 0;
    for (let a = 0; a < N; a++) {
      for (let b = a + 1; b < N; b++) {
        const x = offsets[a]!;
        const y = offsets[b]!;
        let d = 0;
        for (let i = start; i < start + rowLen; i++) d += r(x[i]! * y[i]!);
        const np = Math.max(r(norms[a]! * norms[b]!), lo);
        sum = Math.fround(sum + Math.min(1, Math.max(-1, r(r(Math.fround(d)) / np))));
        pairs++;
      }
    }
    const cos = r(sum / pairs);
    const t = r(r(N * cos) / r(1 + r((N - 1) * cos)));
    const u = r(1 - t);
    for (let i = start; i < start + rowLen; i++) out[i] = r(r(t * avg[i]!) + r(u * w0[i]!));
  }
}
