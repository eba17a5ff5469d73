/**
 * Linear (model soup): a weighted average of the inputs. The base model, if the recipe names
 * one, is simply one more input with its own weight.
 * Paper: Model soups, https://arxiv.org/abs/2203.05482
 */
import { weightedSum } from '../simd/combine.ts';
import { isF32 } from './shared/vec.ts';
import { WEIGHT, bool, num, type MergeMethod } from './types.ts';

export const linear: MergeMethod = {
  name: 'linear',
  prettyName: 'Linear',
  description: 'Weighted average of the models (a model soup).',
  paper: {
    title: 'Model soups: averaging weights of multiple fine-tuned models improves accuracy',
    url: 'https://arxiv.org/abs/2203.05482',
  },
  base: 'input',
  models: { min: 1 },
  params: [
    WEIGHT,
    {
      name: 'normalize',
      scope: 'global',
      type: 'boolean',
      default: true,
      description:
        'Divide by the sum of the weights, so weights are relative (turn off for negative weights).',
    },
  ],
  rectify: 'crop-common',
  elementwise: () => true,
  check: (global, perModel) => {
    if (!bool(global, 'normalize')) return undefined;
    const sum = perModel.reduce((s, p) => s + num(p, 'weight'), 0);
    return sum === 0
      ? 'the weights sum to 0 and normalize is on, which divides by zero (mergekit writes NaN); set normalize: false or change a weight'
      : undefined;
  },
  kernel: ({ inputs, perModel, global, out, round: r }) => {
    const w = perModel.map((p) => r(num(p, 'weight')));
    if (isF32(r)) {
      // float64 steps, one rounding (WebAssembly SIMD when the arrays are in its arena)
      const sum = w.reduce((a, b) => a + b, 0);
      const scale = bool(global, 'normalize') ? 1 / sum : 1;
      weightedSum(
        out,
        inputs,
        w.map((wk) => wk * scale),
      );
      return;
    }
    // Step by step, rounding like torch in the compute dtype.
    const n = out.length;
    out.fill(0);
    for (let k = 0; k < inputs.length; k++) {
      const x = inputs[k]!;
      const wk = w[k]!;
      for (let i = 0; i < n; i++) out[i] = r(out[i]! + r(wk * x[i]!));
    }
    if (bool(global, 'normalize')) {
      let sum = 0;
      for (const wk of w) sum = r(sum + wk);
      for (let i = 0; i < n; i++) out[i] = r(out[i]! / sum);
    }
  },
};
