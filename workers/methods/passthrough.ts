/**
 * Passthrough: copy one tensor unchanged, optionally scaled. The building block of
 * frankenmerges (layer stacking with `slices:`).
 */
import { num, type MergeMethod } from './types.ts';

export const passthrough: MergeMethod = {
  name: 'passthrough',
  prettyName: 'Passthrough',
  description: 'Copy tensors unchanged (optionally scaled); stack layers from several models with slices.',
  base: 'input',
  models: { min: 1, max: 1 },
  params: [
    {
      name: 'scale',
      scope: 'model',
      type: 'number',
      ui: { min: 0, max: 2, step: 0.01 },
      description: 'Multiply the copied tensor by this (e.g. 0.7 on o_proj / down_proj of repeated layers).',
    },
  ],
  rectify: 'none',
  elementwise: () => true,
  kernel: ({ inputs, perModel, out, round: r }) => {
    const x = inputs[0]!;
    const p = perModel[0]!;
    if (p['scale'] === undefined) {
      out.set(x);
      return;
    }
    // `tensor * scale` with a Python float: torch keeps the scalar in float32 (it is not
    // rounded to bf16/f16) and rounds the float32 product once.
    const s = Math.fround(num(p, 'scale'));
    for (let i = 0; i < out.length; i++) out[i] = r(x[i]! * s);
  },
};
