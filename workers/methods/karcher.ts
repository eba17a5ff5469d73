/**
 * Karcher (Riemannian / Fréchet) mean of the inputs' directions on the unit sphere, found by
 * fixed-point iteration, scaled by the mean of their norms. Equal weights, no base.
 *
 * Cosines are taken in float64. mergekit takes them in float32, where two directions closer
 * than ~3e-4 rad read as identical and the iteration stops at the normalised mean; for such
 * nearly parallel fine-tunes our result differs from mergekit's by up to ~4e-6 relative (the
 * golden set's karcher recipe, within its 5e-6 tolerance).
 */
import { dot } from './shared/vec.ts';
import { num, type MergeMethod } from './types.ts';

export const karcher: MergeMethod = {
  name: 'karcher',
  prettyName: 'Karcher Mean',
  description:
    'The Riemannian centre of the models on the sphere (equal weights), scaled by their mean norm.',
  paper: { title: 'Karcher mean', url: 'https://en.wikipedia.org/wiki/Karcher_mean' },
  base: 'input',
  models: { min: 1 },
  params: [
    {
      name: 'max_iter',
      scope: 'global',
      type: 'number',
      default: 10,
      min: 1,
      integer: true,
      ui: { min: 1, max: 100, step: 1 },
      description: 'Most fixed-point iterations.',
    },
    {
      name: 'tol',
      scope: 'global',
      type: 'number',
      default: 1e-5,
      min: 0,
      minExclusive: true,
      ui: { min: 1e-8, max: 1e-3, step: 1e-8 },
      description: 'Stop when the update is smaller than this.',
    },
  ],
  rectify: 'none',
  elementwise: () => false,
  kernel: ({ inputs, global, out }) => {
    const n = out.length;
    const N = inputs.length;
    if (N === 1) {
      out.set(inputs[0]!);
      return;
    }
    const maxIter = num(global, 'max_iter');
    const tol = num(global, 'tol');
    const alpha = 1 / N;
    const norms = inputs.map((x) => Math.sqrt(dot(x, x)));
    // Unit vectors, in place in the scratch inputs.
    const units = inputs as Float32Array[];
    units.forEach((x, k) => {
      const nk = norms[k]!;
      for (let i = 0; i < n; i++) x[i] = nk === 0 ? 0 : x[i]! / nk;
    });
    const valid = units.filter((_, k) => norms[k]! > tol);
    if (valid.length === 0) {
      out.fill(0);
      return;
    }
    const a = 1 / valid.length; // renormalised equal weights
    const u = out;
    u.fill(0);
    for (const x of valid) for (let i = 0; i < n; i++) u[i] = u[i]! + a * x[i]!;
    const nu = Math.sqrt(dot(u, u));
    if (nu < tol) u.set(valid[0]!);
    else for (let i = 0; i < n; i++) u[i] = u[i]! / nu;
    const T = new Float64Array(n);
    for (let iter = 0; iter < maxIter; iter++) {
      T.fill(0);
      for (const x of valid) {
        const c = Math.min(1, Math.max(-1, dot(u, x)));
        const theta = Math.acos(c);
        if (theta < tol) continue;
        const f = (a * theta) / Math.sin(theta);
        for (let i = 0; i < n; i++) T[i] = T[i]! + f * (x[i]! - c * u[i]!);
      }
      let tt = 0;
      for (let i = 0; i < n; i++) tt += T[i]! * T[i]!;
      const nT = Math.sqrt(tt);
      if (nT < tol) break;
      const cT = Math.cos(nT);
      const sT = Math.sin(nT) / nT;
      for (let i = 0; i < n; i++) u[i] = cT * u[i]! + sT * T[i]!;
      const nNew = Math.sqrt(dot(u, u));
      if (nNew > tol) for (let i = 0; i < n; i++) u[i] = u[i]! / nNew;
    }
    const s = norms.reduce((acc, v) => acc + alpha * v, 0);
    for (let i = 0; i < n; i++) u[i] = s * u[i]!;
  },
};
