/**
 * Model Stock: move from the base towards the average of the fine-tunes by a factor set by
 * the angle between their task vectors: t = N cos / (1 + (N - 1) cos), cos the mean pairwise
 * cosine (per tensor, or per row with filter_wise). t is not clamped, as in mergekit.
 */
import { bool, type MergeMethod } from './types.ts';

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
  kernel: ({ inputs, base, global, shape, out }) => {
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
