/**
 * Reinforced Agent Merging (RAM) and its tensor-local RAM+ variant: changes made by one
 * model alone are kept whole, changes several models made are averaged among them.
 * Paper: https://arxiv.org/abs/2601.13572
 */
import { num, type KernelArgs, type MergeMethod, type ParamSpec } from './types.ts';

const PAPER = { title: 'Reinforced Agent Merging', url: 'https://arxiv.org/abs/2601.13572' };
const EPSILON: ParamSpec = {
  name: 'epsilon',
  scope: 'global',
  type: 'number',
  default: 1e-5,
  min: 0,
  ui: { min: 0, max: 0.001, step: 0.00001 },
  description: 'A task-vector entry counts as changed when its magnitude exceeds this.',
};

/** Per element: how many models changed it (|tau| > epsilon). */
function contributions(a: KernelArgs, eps: number): Uint8Array {
  const { base, inputs, out } = a;
  const counts = new Uint8Array(out.length);
  for (const x of inputs) {
    for (let i = 0; i < out.length; i++) if (Math.abs(a.round(x[i]! - base![i]!)) > eps) counts[i]!++;
  }
  return counts;
}

/**
 * out = base + sum_m tau_m active_m (lambda_m [c = 1] + [c > 1] / c).
 *
 * ram is all in the compute dtype. ramplus_tl's lambda is a float32 tensor, so in bf16/f16 mode
 * `tau * lambda` promotes to float32, and with it the sum over the models and the add to the
 * base: those stay float32 here (the writer rounds once to the output dtype), while tau / c is
 * still a bf16/f16 op. In float32 mode both branches are the same.
 */
function combine(
  a: KernelArgs,
  eps: number,
  counts: Uint8Array,
  lambdas: readonly number[] | undefined,
): void {
  const { base, inputs, out, round: r } = a;
  for (let i = 0; i < out.length; i++) {
    const c = counts[i]!;
    let merged = 0;
    for (let k = 0; k < inputs.length; k++) {
      const tau = r(inputs[k]![i]! - base![i]!);
      if (!(Math.abs(tau) > eps)) continue;
      // torch's sum over the models: float32 accumulator (rounded once below for ram).
      const term = c !== 1 ? r(tau / c) : lambdas ? Math.fround(tau * lambdas[k]!) : tau;
      merged = Math.fround(merged + term);
    }
    out[i] = lambdas ? Math.fround(base![i]! + merged) : r(base![i]! + r(merged));
  }
}

export const ram: MergeMethod = {
  name: 'ram',
  prettyName: 'Reinforced Agent Merging',
  description: 'Keep changes only one model made; average changes several models share.',
  paper: PAPER,
  base: 'required',
  models: { min: 1 },
  params: [EPSILON],
  rectify: 'none',
  elementwise: () => true,
  kernel: (a) => {
    const eps = num(a.global, 'epsilon');
    combine(a, eps, contributions(a, eps), undefined);
  },
};

export const ramplusTl: MergeMethod = {
  name: 'ramplus_tl',
  prettyName: 'Reinforced Agent Merging Plus (Tensor-Local)',
  description: 'RAM, with each model’s unique changes boosted by how much it overlaps the others.',
  paper: PAPER,
  base: 'required',
  models: { min: 1 },
  params: [
    {
      name: 'r',
      scope: 'global',
      type: 'number',
      default: 0.1,
      min: 0,
      ui: { min: 0, max: 1, step: 0.01 },
      description: 'Strength of the boost of unique changes.',
    },
    {
      name: 'alpha',
      scope: 'global',
      type: 'number',
      default: 0.2,
      min: 0,
      ui: { min: 0, max: 1, step: 0.01 },
      description: 'Cap on the shared/unique ratio that drives the boost.',
    },
    EPSILON,
  ],
  rectify: 'none',
  elementwise: () => false,
  kernel: (a) => {
    const eps = num(a.global, 'epsilon');
    const rr = num(a.global, 'r');
    const alpha = num(a.global, 'alpha');
    const counts = contributions(a, eps);
    const lambdas = a.inputs.map((x) => {
      let shared = 0;
      let unique = 0;
      for (let i = 0; i < x.length; i++) {
        if (!(Math.abs(a.round(x[i]! - a.base![i]!)) > eps)) continue;
        if (counts[i]! > 1) shared++;
        else unique++;
      }
      const rho = Math.fround(shared / Math.max(unique, eps));
      return Math.fround(1 + Math.fround(rr * Math.min(alpha, Math.max(0, rho))));
    });
    combine(a, eps, counts, lambdas);
  },
};
