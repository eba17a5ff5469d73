/**
 * NuSLERP: SLERP of two models with t = w_b / (w_a + w_b), optionally on task vectors (with a
 * base that must be a third model), over the whole tensor or per row / per column.
 * Colinear vectors (|sin theta| < 1e-8) fall back to lerp.
 */
import { WEIGHT, bool, num, type MergeMethod } from './types.ts';

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
  kernel: ({ inputs, base, perModel, global, shape, out }) => {
    const wa = num(perModel[0]!, 'weight');
    const wb = num(perModel[1]!, 'weight');
    const t = Math.abs(wa + wb) < 1e-6 ? 0.5 : wb / (wa + wb);
    const a = inputs[0]!;
    const b = inputs[1]!;
    if (base) {
      for (let i = 0; i < out.length; i++) {
        a[i] = a[i]! - base[i]!;
        b[i] = b[i]! - base[i]!;
      }
    }
    const n = out.length;
    if (bool(global, 'nuslerp_flatten') || shape.length < 2) {
      slerpVector(t, a, b, out, 0, 1, n);
    } else if (!bool(global, 'nuslerp_row_wise')) {
      const cols = shape[shape.length - 1]!;
      for (let r = 0; r < n / cols; r++) slerpVector(t, a, b, out, r * cols, 1, cols);
    } else {
      // Vectors along dim 0: element (i0, rest) for fixed rest, stride = n / shape[0].
      const len = shape[0]!;
      const stride = n / len;
      for (let c = 0; c < stride; c++) slerpVector(t, a, b, out, c, stride, len);
    }
    if (base) for (let i = 0; i < n; i++) out[i] = out[i]! + base[i]!;
  },
};
