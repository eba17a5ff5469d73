/**
 * Multi-SLERP: a barycentre of several models on the hypersphere, one exponential-map step
 * from the normalised weighted mean of the unit vectors; the result is scaled by the weighted
 * mean of the norms. With a base model it works on task vectors.
 *
 * Every compute dtype takes mergekit's ops one by one with torch's roundings (kernelOps); in
 * float32 the norms and dot products are also summed in torch's order (./shared/torch-sum.ts),
 * which makes the golden set's multislerp mergekit's bit for bit.
 */
import { normIn, sumOverModels } from './shared/reduced.ts';
import { torchNormF32, torchSumF32 } from './shared/torch-sum.ts';
import { isF32 } from './shared/vec.ts';
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
    const { inputs, out } = args;
    if (inputs.length === 1) {
      out.set(inputs[0]!);
      return;
    }
    // float32 too: torch's ops, its norms and dot products in its own order (./shared/torch-sum.ts)
    kernelOps(args);
  },
};

/**
 * mergekit's multislerp, op by op. The weights are a tensor of the compute
 * dtype; every tensor op rounds to it (`r`); norms and the dot products accumulate in float32
 * and round once, as do the sums over the models (`sum(0)`). The Python float eps is converted
 * to the dtype where it is added or compared. Unit vectors and tangent rows ([M, n] tensors in
 * mergekit) are recomputed element by element instead of stored.
 */
function kernelOps({ inputs, base, perModel, global, out, round: r }: KernelArgs): void {
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
  const f32 = isF32(r);
  const norm = (x: Float32Array): number => (f32 ? torchNormF32(x) : normIn(r, x));
  const norms = xs.map((x) => norm(x));
  const den = norms.map((v) => r(v + eps));
  // mean = sum_k u_k w_k (out holds the mean, then m-hat): the sum over the models in float32
  // from 0 (each Float32Array store a float32 addition), rounded once. An f16 eps of 1e-8 rounds to 0, and mergekit divides a zero vector by
  // 0 (NaN everywhere); we keep the zero unit vector eps was there to give.
  out.fill(0);
  xs.forEach((x, k) => {
    const d = den[k]!;
    const wk = w[k]!;
    if (d !== 0) for (let i = 0; i < n; i++) out[i] = out[i]! + r(r(x[i]! / d) * wk);
  });
  if (!f32) for (let i = 0; i < n; i++) out[i] = r(out[i]!);
  const mNorm = norm(out);
  if (mNorm < eps) {
    if (M !== 2) throw new Error(CANCEL);
    for (let i = 0; i < n; i++) {
      const v = r(r(xs[0]![i]! * w[0]!) + r(xs[1]![i]! * w[1]!));
      out[i] = base ? r(v + base[i]!) : v;
    }
    return;
  }
  // The unit vectors, in place of the inputs (scratch: KernelArgs.inputs).
  xs.forEach((x, k) => {
    const d = den[k]!;
    if (d === 0) x.fill(0);
    else for (let i = 0; i < n; i++) x[i] = r(x[i]! / d);
  });
  for (let i = 0; i < n; i++) out[i] = r(out[i]! / mNorm);
  const dots = xs.map((u) => {
    if (f32) return torchSumF32(u, out);
    let s = 0;
    for (let i = 0; i < n; i++) s += r(u[i]! * out[i]!);
    return r(Math.fround(s));
  });
  // tangent = sum_k (u_k - dot_k m) w_k
  const tangent = new Float32Array(n);
  xs.forEach((u, k) => {
    const dk = dots[k]!;
    const wk = w[k]!;
    for (let i = 0; i < n; i++) tangent[i] = tangent[i]! + r(r(u[i]! - r(dk * out[i]!)) * wk);
  });
  if (!f32) for (let i = 0; i < n; i++) tangent[i] = r(tangent[i]!);
  const a = r(norm(tangent) + eps);
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
