/**
 * Model Stock: move from the base towards the average of the fine-tunes by a factor set by
 * the angle between their task vectors: t = N cos / (1 + (N - 1) cos), cos the mean pairwise
 * cosine (per tensor, or per row with filter_wise). t is not clamped, as in mergekit.
 *
 * Weighted (`merge_studio.weights`, KernelArgs.weights; mergekit has none): with the weights
 * w normalised to sum 1, the fine-tunes' average is sum_k w_k x_k, cos is the mean of the
 * pairwise cosines weighted w_a w_b, and N becomes the effective count 1 / sum_k w_k^2. That
 * is the paper's t for a weighted average: with offsets of equal norm at equal angles, the
 * point of base + t (avg - base) nearest the centre of the fine-tunes is at
 * t = cos / (S + (1 - S) cos), S = sum_k w_k^2, which is the formula above with N = 1 / S
 * (equal weights: S = 1 / N). Without weights the numbers are as before, bit for bit.
 *
 * Every compute dtype takes mergekit's ops one by one with torch's roundings (kernelOps); in
 * float32 the norms and dot products are also summed in torch's order (./shared/torch-sum.ts),
 * which makes the golden set's model_stock mergekit's bit for bit.
 */
import { normIn } from './shared/reduced.ts';
import { torchNormF32, torchSumF32 } from './shared/torch-sum.ts';
import { isF32 } from './shared/vec.ts';
import { bool, type KernelArgs, type MergeMethod } from './types.ts';

/**
 * merge_studio's weights normalised to sum 1, and the effective count 1 / sum w^2 that takes
 * N's place in t; undefined without weights.
 */
function weighting(weights: readonly number[] | undefined): { w: number[]; count: number } | undefined {
  if (!weights) return undefined;
  let total = 0;
  for (const x of weights) total += x;
  const w = weights.map((x) => x / total);
  let sq = 0;
  for (const x of w) sq += x * x;
  return { w, count: 1 / sq };
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
  studioOptions: ['weights'],
  // float32 too: torch's steps, its reductions in its own order (./shared/torch-sum.ts)
  kernel: (args) => kernelOps(args),
};

/**
 * mergekit's model_stock op by op: every tensor op rounds to the compute dtype (`r`); norms,
 * dot products (`(a * b).sum(-1)`) and the mean over the pairs accumulate in float32 and round
 * once (in float32 compute, the norms and dots in torch's own order) (torch's mean of a bf16/f16 tensor divides the float32 sum before
 * rounding). Python's `sum(ws)` adds the models one rounded step at a time, and the integer
 * scalars N, N - 1 are exact in the float opmath of `scalar * tensor`.
 */
function kernelOps({ inputs, base, global, shape, out, round: r, weights }: KernelArgs): void {
  const w0 = base!;
  const weighted = weighting(weights);
  // Weighted: sum(w_k * x_k) and N's stand-in, Python floats in float32 opmath
  const wf = weighted?.w.map(Math.fround);
  const N = weighted?.count ?? inputs.length;
  const n = out.length;
  const avg = new Float32Array(n);
  if (wf) {
    inputs.forEach((x, k) => {
      const wk = wf[k]!;
      for (let i = 0; i < n; i++) avg[i] = k === 0 ? r(x[i]! * wk) : r(avg[i]! + r(x[i]! * wk));
    });
  } else {
    avg.set(inputs[0]!);
    for (let k = 1; k < N; k++) {
      const x = inputs[k]!;
      for (let i = 0; i < n; i++) avg[i] = r(avg[i]! + x[i]!);
    }
    for (let i = 0; i < n; i++) avg[i] = r(avg[i]! / N);
  }
  const offsets = inputs as Float32Array[];
  for (const x of offsets) for (let i = 0; i < n; i++) x[i] = r(x[i]! - w0[i]!);
  const lo = r(1e-6); // clamp(min=1e-6): the bound converted to the tensor's dtype
  const rowLen = bool(global, 'filter_wise') && shape.length >= 1 ? shape[shape.length - 1]! : n;
  for (let start = 0; start < n; start += rowLen) {
    const f32 = isF32(r);
    const row = (o: Float32Array): Float32Array => o.subarray(start, start + rowLen);
    const norms = offsets.map((o) => (f32 ? torchNormF32(row(o)) : normIn(r, o, start, 1, rowLen)));
    let sum = 0; // float32 sum over the stacked pair cosines (weighted: w_a w_b times each)
    let pairs = 0;
    const M = offsets.length;
    for (let a = 0; a < M; a++) {
      for (let b = a + 1; b < M; b++) {
        const x = offsets[a]!;
        const y = offsets[b]!;
        let d = 0;
        if (f32) d = torchSumF32(row(x), row(y));
        else for (let i = start; i < start + rowLen; i++) d += r(x[i]! * y[i]!);
        const np = Math.max(r(norms[a]! * norms[b]!), lo);
        const c = Math.min(1, Math.max(-1, r(r(Math.fround(d)) / np)));
        if (wf) {
          const pw = Math.fround(wf[a]! * wf[b]!);
          sum = Math.fround(sum + Math.fround(pw * c));
          pairs = Math.fround(pairs + pw);
        } else {
          sum = Math.fround(sum + c);
          pairs++;
        }
      }
    }
    const cos = r(sum / pairs);
    const t = r(r(N * cos) / r(1 + r((N - 1) * cos)));
    const u = r(1 - t);
    for (let i = start; i < start + rowLen; i++) out[i] = r(r(t * avg[i]!) + r(u * w0[i]!));
  }
}
