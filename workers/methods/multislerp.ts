/**
 * Multi-SLERP: a barycentre of several models on the hypersphere, one exponential-map step
 * from the normalised weighted mean of the unit vectors; the result is scaled by the weighted
 * mean of the norms. With a base model it works on task vectors.
 */
import { dot } from './shared/vec.ts';
import { WEIGHT, bool, num, type MergeMethod } from './types.ts';

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
  kernel: ({ inputs, base, perModel, global, out }) => {
    const n = out.length;
    const M = inputs.length;
    if (M === 1) {
      out.set(inputs[0]!);
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
      if (M !== 2) {
        throw new Error(
          'multislerp: the weighted unit vectors cancel out (antipodal inputs with balancing weights); change the weights',
        );
      }
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
