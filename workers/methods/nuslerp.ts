/**
 * NuSLERP: SLERP of two models with t = w_b / (w_a + w_b), optionally on task vectors (with a
 * base that must be a third model), over the whole tensor or per row / per column.
 * Colinear vectors (|sin theta| < 1e-8) fall back to lerp.
 *
 * float32 compute: float64 steps, one rounding per output. bf16/f16 compute: mergekit's ops
 * one by one with torch's roundings (slerpVectorRounded).
 */
import { normIn } from './shared/reduced.ts';
import { isF32 } from './shared/vec.ts';
import { WEIGHT, bool, num, type MergeMethod } from './types.ts';

type Slerp = (
  t: number,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  start: number,
  stride: number,
  len: number,
  r: (x: number) => number,
) => void;

/** Slerps `len` elements of a and b found at start + j * stride into out (same positions). */
function slerpVector(
  t: number,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  start: number,
  stride: number,
  len: number,
): void {
  let na = 0;
  let nb = 0;
  let ab = 0;
  for (let j = 0, i = start; j < len; j++, i += stride) {
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
    ab += a[i]! * b[i]!;
  }
  const cos = Math.min(1, Math.max(-1, ab / Math.max(Math.sqrt(na), 1e-7) / Math.max(Math.sqrt(nb), 1e-7)));
  const theta = Math.acos(cos);
  const sin = Math.sin(theta);
  if (Math.abs(sin) < 1e-8) {
    for (let j = 0, i = start; j < len; j++, i += stride) out[i] = (1 - t) * a[i]! + t * b[i]!;
    return;
  }
  const c0 = Math.sin((1 - t) * theta);
  const c1 = Math.sin(t * theta);
  for (let j = 0, i = start; j < len; j++, i += stride) out[i] = (c0 * a[i]! + c1 * b[i]!) / sin;
}

/**
 * mergekit's nuslerp on bf16/f16 tensors, op by op. Every tensor op rounds to the compute dtype
 * (`r`); the norms and the cosine's sum accumulate in float32 and round once (./shared/reduced).
 * Python floats t and 1 - t stay float32 in `scalar * tensor` (torch's reduced-float mul keeps a
 * scalar operand in its float opmath), while the clamp bound 1e-7 becomes a bf16/f16 value.
 */
function slerpVectorRounded(
  t: number,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  start: number,
  stride: number,
  len: number,
  r: (x: number) => number,
): void {
  // _normalize: x / norm(x).clamp(min=1e-7)
  const lo = r(1e-7);
  const na = Math.max(normIn(r, a, start, stride, len), lo);
  const nb = Math.max(normIn(r, b, start, stride, len), lo);
  // sum(v0_u * v1_u): each unit element and each product a bf16 tensor op
  let s = 0;
  for (let j = 0, i = start; j < len; j++, i += stride) s += r(r(a[i]! / na) * r(b[i]! / nb));
  const cos = Math.min(1, Math.max(-1, r(Math.fround(s))));
  const theta = r(Math.acos(cos)); // acos / sin of a bf16 tensor: computed in float, rounded
  const sin = r(Math.sin(theta));
  const tf = Math.fround(t);
  const uf = Math.fround(1 - t);
  // mergekit's colinear test (|sin| < 1e-8) fires when cos rounds to 1 (theta = 0). For cos = -1
  // its bf16 theta (3.140625, not pi) has sin ~1e-3 and misses it, scaling an opposite pair by
  // ~1e3; we take the lerp there as in float32 (docs/differences.md, nuslerp with opposite tensors).
  if (Math.abs(sin) < 1e-8 || cos === -1) {
    for (let j = 0, i = start; j < len; j++, i += stride) out[i] = r(r(a[i]! * uf) + r(b[i]! * tf));
    return;
  }
  const c0 = r(Math.sin(r(theta * uf)));
  const c1 = r(Math.sin(r(theta * tf)));
  for (let j = 0, i = start; j < len; j++, i += stride) out[i] = r(r(r(c0 * a[i]!) + r(c1 * b[i]!)) / sin);
}

export const nuslerp: MergeMethod = {
  name: 'nuslerp',
  prettyName: 'NuSLERP',
  description:
    'SLERP of two models by weight, on task vectors when a separate base is given; per row if asked.',
  paper: { title: 'Slerp (Shoemake, 1985)', url: 'https://en.wikipedia.org/wiki/Slerp' },
  base: 'optional',
  models: { min: 2, max: 2 },
  params: [
    WEIGHT,
    {
      name: 'nuslerp_flatten',
      scope: 'global',
      type: 'boolean',
      default: true,
      description: 'Treat the whole tensor as one vector (off: one SLERP per row or column).',
    },
    {
      name: 'nuslerp_row_wise',
      scope: 'global',
      type: 'boolean',
      default: false,
      description:
        'With flatten off: SLERP the vectors along the first axis (columns of a matrix) instead of the last (rows).',
    },
  ],
  rectify: 'crop-common',
  elementwise: () => false,
  kernel: ({ inputs, base, perModel, global, shape, out, round: r }) => {
    const wa = num(perModel[0]!, 'weight');
    const wb = num(perModel[1]!, 'weight');
    // Python floats (float64), as mergekit's weights
    const t = Math.abs(wa + wb) < 1e-6 ? 0.5 : wb / (wa + wb);
    const a = inputs[0]!;
    const b = inputs[1]!;
    // float32: the Float32Array stores round; bf16/f16: `r` rounds each subtraction and the add
    if (base) {
      for (let i = 0; i < out.length; i++) {
        a[i] = r(a[i]! - base[i]!);
        b[i] = r(b[i]! - base[i]!);
      }
    }
    const slerp: Slerp = isF32(r) ? slerpVector : slerpVectorRounded;
    const n = out.length;
    if (bool(global, 'nuslerp_flatten') || shape.length < 2) {
      slerp(t, a, b, out, 0, 1, n, r);
    } else if (!bool(global, 'nuslerp_row_wise')) {
      const cols = shape[shape.length - 1]!;
      for (let row = 0; row < n / cols; row++) slerp(t, a, b, out, row * cols, 1, cols, r);
    } else {
      // Vectors along dim 0: element (i0, rest) for fixed rest, stride = n / shape[0].
      const len = shape[0]!;
      const stride = n / len;
      for (let c = 0; c < stride; c++) slerp(t, a, b, out, c, stride, len, r);
    }
    if (base) for (let i = 0; i < n; i++) out[i] = r(out[i]! + base[i]!);
  },
};
