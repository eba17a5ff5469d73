/**
 * Karcher (Riemannian / Fréchet) mean of the inputs' directions on the unit sphere, found by
 * fixed-point iteration, scaled by the mean of their norms. No base.
 *
 * mergekit's weights are equal (1 / N each). `merge_studio.weights` (KernelArgs.weights) puts
 * others into the same algorithm, which mergekit's `karcher_merge_tensors` already takes as
 * `alphas`: normalised to sum 1, they weight the tangent-space average of each step (the
 * weighted Fréchet mean, argmin of sum_k a_k d(u, x_k)^2) and the mean of the norms. Without
 * weights the numbers are mergekit's, bit for bit as before.
 *
 * Cosines are taken in float64. mergekit takes them in float32, where two directions closer
 * than ~3e-4 rad read as identical and the iteration stops at the normalised mean; for such
 * nearly parallel fine-tunes our result differs from mergekit's by up to ~4e-6 relative (the
 * golden set's karcher recipe, within its 5e-6 tolerance).
 *
 * bf16/f16 compute follows mergekit's ops one by one with torch's roundings (kernelRounded).
 */
import { dotF32, normF32 } from './shared/reduced.ts';
import { dot, isF32 } from './shared/vec.ts';
import { num, type KernelArgs, type MergeMethod } from './types.ts';

export const karcher: MergeMethod = {
  name: 'karcher',
  prettyName: 'Karcher Mean',
  description:
    'The Riemannian centre of the models on the sphere (equal weights unless merge_studio.weights), scaled by their mean norm.',
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
  studioOptions: ['weights'],
  kernel: (args) => {
    const { inputs, global, out } = args;
    const n = out.length;
    const N = inputs.length;
    if (N === 1) {
      out.set(inputs[0]!);
      return;
    }
    if (!isF32(args.round)) {
      kernelRounded(args);
      return;
    }
    const maxIter = num(global, 'max_iter');
    const tol = num(global, 'tol');
    const alphas = alphasOf(N, args.weights);
    const norms = inputs.map((x) => Math.sqrt(dot(x, x)));
    // Unit vectors, in place in the scratch inputs.
    const units = inputs as Float32Array[];
    units.forEach((x, k) => {
      const nk = norms[k]!;
      for (let i = 0; i < n; i++) x[i] = nk === 0 ? 0 : x[i]! / nk;
    });
    const kept = units.flatMap((_, k) => (norms[k]! > tol ? [k] : []));
    const valid = kept.map((k) => units[k]!);
    if (valid.length === 0) {
      out.fill(0);
      return;
    }
    // The weights renormalised over the valid inputs (equal ones: exactly 1 / count, as before).
    let aSum = 0;
    for (const k of kept) aSum += alphas[k]!;
    const va = kept.map((k) => (args.weights ? alphas[k]! / aSum : 1 / valid.length));
    const u = out;
    u.fill(0);
    valid.forEach((x, j) => {
      const a = va[j]!;
      for (let i = 0; i < n; i++) u[i] = u[i]! + a * x[i]!;
    });
    const nu = Math.sqrt(dot(u, u));
    if (nu < tol) u.set(valid[0]!);
    else for (let i = 0; i < n; i++) u[i] = u[i]! / nu;
    const T = new Float64Array(n);
    for (let iter = 0; iter < maxIter; iter++) {
      T.fill(0);
      for (const [j, x] of valid.entries()) {
        const c = Math.min(1, Math.max(-1, dot(u, x)));
        const theta = Math.acos(c);
        if (theta < tol) continue;
        const f = (va[j]! * theta) / Math.sin(theta);
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
    const s = norms.reduce((acc, v, k) => acc + alphas[k]! * v, 0);
    for (let i = 0; i < n; i++) u[i] = s * u[i]!;
  },
};

/** Each input's weight, summing to 1: mergekit's 1 / N, or merge_studio's weights normalised. */
function alphasOf(N: number, weights: readonly number[] | undefined): number[] {
  if (!weights) return new Array<number>(N).fill(1 / N);
  let total = 0;
  for (const w of weights) total += w;
  return weights.map((w) => w / total);
}

/**
 * mergekit's karcher_merge_tensors on bf16/f16 tensors, op by op. Every tensor op rounds to the
 * compute dtype (`r`). The norms are float32 (`linalg.norm(t.float())`) and, as 0-dim float32
 * tensors, keep their float32 value as the divisor of a bf16 tensor (torch's reduced-float div
 * reads a scalar operand in float), but are rounded to bf16 as the first factor of a product
 * (`cos(norm_T) * u`: the 0-dim operand is converted to the tensor's dtype). `torch.dot` on bf16
 * multiplies and sums in float32 and rounds once. Python floats (the alphas, the final scale)
 * stay float32 in `tensor * scalar`.
 */
function kernelRounded({ inputs, global, out, round: r, weights }: KernelArgs): void {
  const n = out.length;
  const N = inputs.length;
  const maxIter = num(global, 'max_iter');
  const tol = num(global, 'tol');
  const alphas = alphasOf(N, weights); // Python floats from here to the scale s
  const norms = inputs.map(normF32);
  const units = inputs as Float32Array[];
  units.forEach((x, k) => {
    const nk = norms[k]!;
    for (let i = 0; i < n; i++) x[i] = nk === 0 ? 0 : r(x[i]! / nk);
  });
  const kept = units.flatMap((_, k) => (norms[k]! > tol ? [k] : []));
  const valid = kept.map((k) => units[k]!);
  if (valid.length === 0) {
    out.fill(0);
    return;
  }
  let alphaSum = 0;
  for (const k of kept) alphaSum += alphas[k]!;
  const va = kept.map((k) => Math.fround(alphas[k]! / alphaSum)); // float32 in `a * tensor`
  const u = out;
  u.fill(0);
  valid.forEach((x, j) => {
    const a = va[j]!;
    for (let i = 0; i < n; i++) u[i] = r(u[i]! + r(x[i]! * a));
  });
  const nu = normF32(u);
  if (nu < tol) u.set(valid[0]!);
  else for (let i = 0; i < n; i++) u[i] = r(u[i]! / nu);
  const T = new Float32Array(n);
  for (let iter = 0; iter < maxIter; iter++) {
    T.fill(0);
    for (const [j, x] of valid.entries()) {
      const c = Math.min(1, Math.max(-1, r(dotF32(u, x))));
      const theta = r(Math.acos(c));
      if (theta < tol) continue;
      // a * (theta / sin_theta): 0-dim bf16 quotient times a Python float
      const f = r(r(theta / r(Math.sin(theta))) * va[j]!);
      for (let i = 0; i < n; i++) T[i] = r(T[i]! + r(f * r(x[i]! - r(c * u[i]!))));
    }
    const nT = normF32(T);
    if (nT < tol) break;
    const cT = r(Math.fround(Math.cos(nT))); // float32 cos, converted to bf16 as the first factor
    const sT = r(Math.fround(Math.sin(nT)));
    for (let i = 0; i < n; i++) u[i] = r(r(cT * u[i]!) + r(sT * r(T[i]! / nT)));
    const nNew = normF32(u);
    if (nNew > tol) for (let i = 0; i < n; i++) u[i] = r(u[i]! / nNew);
  }
  let s = 0;
  for (const [k, v] of norms.entries()) s += alphas[k]! * v;
  const sf = Math.fround(s);
  for (let i = 0; i < n; i++) u[i] = r(u[i]! * sf);
}
