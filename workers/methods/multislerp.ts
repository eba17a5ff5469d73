/**
 * Multi-SLERP: a barycentre of several models on the hypersphere, one exponential-map step
 * from the normalised weighted mean of the unit vectors; the result is scaled by the weighted
 * mean of the norms. With a base model it works on task vectors.
 *
 * float32 compute: float64 steps, one rounding per output. bf16/f16 compute: mergekit's ops
 * one by one with torch's roundings (kernelRounded).
 */
import { normIn, sumOverModels } from './shared/reduced.ts';
import { dot, isF32 } from './shared/vec.ts';
import { WEIGHT, bool, num, type KernelArgs, type MergeMethod } from './types.ts';

const CANCEL =
  'multislerp: the weighted unit vectors cancel out (antipodal inputs with balancing weights); change the weights';

export const multislerp: MergeMethod = {
  name: 'multislerp',
  prettyName: 'Multi-SLERP',
  description: 'Spherical weighted average of any number of models (task vectors when a base is given).',
  paper: {
    title: 'Multi-SLERP (Goddard)',
    url: 'https://goddard.blog/posts/multislerp-wow-what-a-cool-idea',
  },
  base: 'optional',
  models: { min: 1 },
  params: [
    WEIGHT,
    {
      name: 'normalize_weights',
      scope: 'global',
      type: 'boolean',
      default: true,
      description: 'Scale the weights to sum to 1.',
    },
    {
      name: 'eps',
      scope: 'global',
      type: 'number',
      default: 1e-8,
      min: 0,
      ui: { min: 0, max: 1e-4, step: 1e-8 },
      description: 'Guard against dividing by a zero norm.',
    },
  ],
  rectify: 'none',
  elementwise: () => false,
  kernel: (args) => {
    const { inputs, base, perModel, global, out } = args;
    const n = out.length;
    const M = inputs.length;
    if (M === 1) {
      out.set(inputs[0]!);
      return;
    }
    if (!isF32(args.round)) {
      kernelRounded(args);
      return;
    }
    const eps = num(global, 'eps');
    let w = perModel.map((p) => Math.fround(num(p, 'weight')));
    if (bool(global, 'normalize_weights')) {
      const s = w.reduce((x, y) => x + y, 0);
      w = w.map((x) => Math.fround(x / s));
    }
    const xs = inputs as Float32Array[];
    if (base) for (const x of xs) for (let i = 0; i < n; i++) x[i] = x[i]! - base[i]!;
    const norms = xs.map((x) => Math.sqrt(dot(x, x)));
    const inv = norms.map((v) => 1 / (v + eps));
    // m = sum_k w_k u_k, accumulated entirely in float64: rounding the running sum to float32
    // after the first term only (a Float32Array store) left a residue where the terms cancel
    // exactly (b = -a), so the antipodal fallback / error below never fired.
    const m = new Float64Array(n);
    for (let k = 0; k < M; k++) {
      const c = w[k]! * inv[k]!;
      const x = xs[k]!;
      for (let i = 0; i < n; i++) m[i] = m[i]! + c * x[i]!;
    }
    let mSq = 0;
    for (let i = 0; i < n; i++) mSq += m[i]! * m[i]!;
    const mNorm = Math.sqrt(mSq);
    if (mNorm < eps) {
      if (M !== 2) throw new Error(CANCEL);
      for (let i = 0; i < n; i++) out[i] = xs[0]![i]! * w[0]! + xs[1]![i]! * w[1]! + (base ? base[i]! : 0);
      return;
    }
    for (let i = 0; i < n; i++) out[i] = m[i]! / mNorm; // m-hat, rounded to float32 by the store
    // Tangent T = sum_k w_k (u_k - (u_k . m) m); its norm, then the exponential map.
    const dots = xs.map((x, k) => dot(x, out) * inv[k]!);
    let tSq = 0;
    const tangent = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let k = 0; k < M; k++) v += w[k]! * (xs[k]![i]! * inv[k]! - dots[k]! * out[i]!);
      tangent[i] = v;
      tSq += v * v;
    }
    const a = Math.sqrt(tSq) + eps;
    const avgNorm = norms.reduce((s, v, k) => s + v * w[k]!, 0);
    const cosA = Math.cos(a);
    const sinA = Math.sin(a) / a;
    for (let i = 0; i < n; i++) {
      out[i] = (out[i]! * cosA + tangent[i]! * sinA) * avgNorm + (base ? base[i]! : 0);
    }
  },
};

/**
 * mergekit's multislerp on bf16/f16 tensors, op by op. The weights are a tensor of the compute
 * dtype; every tensor op rounds to it (`r`); norms and the dot products accumulate in float32
 * and round once, as do the sums over the models (`sum(0)`). The Python float eps is converted
 * to the dtype where it is added or compared. Unit vectors and tangent rows ([M, n] tensors in
 * mergekit) are recomputed element by element instead of stored.
 */
function kernelRounded({ inputs, base, perModel, global, out, round: r }: KernelArgs): void {
  const n = out.length;
  const M = inputs.length;
  const eps = r(num(global, 'eps'));
  let w = perModel.map((p) => r(num(p, 'weight')));
  if (bool(global, 'normalize_weights')) {
    const s = sumOverModels(r, w);
    w = w.map((x) => r(x / s));
  }
  const xs = inputs as Float32Array[];
  if (base) for (const x of xs) for (let i = 0; i < n; i++) x[i] = r(x[i]! - base[i]!);
  const norms = xs.map((x) => normIn(r, x));
  const den = norms.map((v) => r(v + eps));
  // An f16 eps of 1e-8 rounds to 0, and mergekit divides a zero vector by 0 (NaN everywhere);
  // we keep the zero unit vector eps was there to give.
  const unit = (k: number, i: number): number => (den[k] === 0 ? 0 : r(xs[k]![i]! / den[k]!));
  const terms = new Array<number>(M);
  // mean = sum_k u_k w_k, then its norm (out holds the mean, then m-hat)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < M; k++) terms[k] = r(unit(k, i) * w[k]!);
    out[i] = sumOverModels(r, terms);
  }
  const mNorm = normIn(r, out);
  if (mNorm < eps) {
    if (M !== 2) throw new Error(CANCEL);
    for (let i = 0; i < n; i++) {
      const v = r(r(xs[0]![i]! * w[0]!) + r(xs[1]![i]! * w[1]!));
      out[i] = base ? r(v + base[i]!) : v;
    }
    return;
  }
  for (let i = 0; i < n; i++) out[i] = r(out[i]! / mNorm);
  const dots = xs.map((_, k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += r(unit(k, i) * out[i]!);
    return r(Math.fround(s));
  });
  // tangent = sum_k (u_k - dot_k m) w_k
  const tangent = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < M; k++) terms[k] = r(r(unit(k, i) - r(dots[k]! * out[i]!)) * w[k]!);
    tangent[i] = sumOverModels(r, terms);
  }
  const a = r(normIn(r, tangent) + eps);
  const cosA = r(Math.cos(a));
  const sinA = r(r(Math.sin(a)) / a);
  const avgNorm = sumOverModels(
    r,
    norms.map((v, k) => r(v * w[k]!)),
  );
  for (let i = 0; i < n; i++) {
    const v = r(r(r(out[i]! * cosA) + r(tangent[i]! * sinA)) * avgNorm);
    out[i] = base ? r(v + base[i]!) : v;
  }
}
