/**
 * SLERP: spherical interpolation between the base (t = 0) and one other model, over the whole
 * flattened tensor. Always float32 (mergekit runs it in NumPy float32 whatever the dtype).
 * When the normalised tensors are nearly colinear or antiparallel (|cos| > 0.9995) it falls back
 * to lerp; either way it interpolates the unnormalised tensors, so norms are not forced to 1.
 */
import { dot, norm } from './shared/vec.ts';
import { num, type MergeMethod } from './types.ts';

/** mergekit's DOT_THRESHOLD. */
export const SLERP_COLINEAR = 0.9995;

/** The two coefficients of slerp at t for tensors with normalised dot product `cos`. */
export function slerpCoefficients(t: number, cos: number): { s0: number; s1: number; lerp: boolean } {
  if (Math.abs(cos) > SLERP_COLINEAR) return { s0: 1 - t, s1: t, lerp: true };
  const theta0 = Math.acos(cos);
  const sin0 = Math.sin(theta0);
  const thetaT = theta0 * t;
  return { s0: Math.sin(theta0 - thetaT) / sin0, s1: Math.sin(thetaT) / sin0, lerp: false };
}

/** cos of the angle between two tensors as mergekit computes it (norms <= 1e-8 are not divided). */
export function slerpCos(v0: Float32Array, v1: Float32Array): number {
  const n0 = norm(v0);
  const n1 = norm(v1);
  return dot(v0, v1) / (n0 > 1e-8 ? n0 : 1) / (n1 > 1e-8 ? n1 : 1);
}

export const slerp: MergeMethod = {
  name: 'slerp',
  prettyName: 'SLERP',
  description: 'Spherical interpolation between the base (t = 0) and one other model (t = 1).',
  paper: { title: 'Slerp (Shoemake, 1985)', url: 'https://en.wikipedia.org/wiki/Slerp' },
  base: 'required',
  models: { min: 1, max: 1 },
  params: [
    {
      name: 't',
      scope: 'global',
      type: 'number',
      required: true,
      ui: { min: 0, max: 1, step: 0.01 },
      description: 'Interpolation factor: 0 is the base model, 1 the other model.',
    },
  ],
  rectify: 'crop-common',
  elementwise: () => false,
  kernel: ({ inputs, base, global, out }) => {
    const v0 = base!;
    const v1 = inputs[0]!;
    const { s0, s1 } = slerpCoefficients(num(global, 't'), slerpCos(v0, v1));
    const a = Math.fround(s0);
    const b = Math.fround(s1);
    for (let i = 0; i < out.length; i++) out[i] = Math.fround(a * v0[i]!) + Math.fround(b * v1[i]!);
  },
};
