/**
 * SCE (Select, Calculate, Erase; from FuseChat): keep the elements where the task vectors
 * vary most, weight each model by the mean square of its task vector, and average only the
 * entries that agree with the elected sign. `weight` is not used.
 */
import { applyThreshold, topKThreshold } from './shared/select.ts';
import { num, type MergeMethod } from './types.ts';

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
  kernel: ({ inputs, base, global, out, round: r }) => {
    const b = base!;
    const n = out.length;
    const M = inputs.length;
    if (M === 0) {
      out.set(b);
      return;
    }
    const tv = inputs as Float32Array[];
    for (const x of tv) for (let i = 0; i < n; i++) x[i] = r(x[i]! - b[i]!);
    const topk = num(global, 'select_topk');
    if (topk < 1) select(tv, topk, n);
    // Calculate: w_m = mean(tau_m^2), normalised (uniform when all ~0).
    let w = tv.map((x) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i]! * x[i]!;
      return Math.fround(s / n);
    });
    const wsum = w.reduce((a, v) => a + v, 0);
    w = Math.abs(wsum) < 1e-6 ? w.map(() => Math.fround(1 / M)) : w.map((v) => Math.fround(v / wsum));
    // Erase: sign election on the unweighted task vectors, ties to +.
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < M; k++) s += tv[k]![i]!;
      const elected = s >= 0 ? 1 : -1;
      let merged = 0;
      let divisor = 0;
      for (let k = 0; k < M; k++) {
        const x = tv[k]![i]!;
        if (Math.sign(x) === elected) {
          merged += x * w[k]!;
          divisor += w[k]!;
        }
      }
      out[i] = r(b[i]! + r(merged / Math.max(divisor, 1e-6)));
    }
  },
};

/** Zero, in every task vector, the elements outside the top-k by variance across models. */
function select(tv: Float32Array[], topk: number, n: number): void {
  const M = tv.length;
  const variance = new Float32Array(n);
  let nonzero = 0;
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < M; k++) mean += tv[k]![i]!;
    mean /= M;
    let v = 0;
    for (let k = 0; k < M; k++) v += (tv[k]![i]! - mean) ** 2;
    variance[i] = v / M;
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
