/**
 * The task-vector family as one parameterised implementation (mergekit's
 * GeneralizedTaskArithmeticMerge): task_arithmetic, ties, dare_ties, dare_linear, breadcrumbs,
 * breadcrumbs_ties, della, della_linear differ only in their sparsifier, whether they elect a
 * sign, and their normalize / rescale defaults.
 *
 * Per tensor: delta_m = x_m - base; sparsify each delta by that model's density; weight it;
 * with sign consensus keep, per element, only the weighted deltas whose sign matches the sign
 * of their sum (ties go to +) and divide by the sum of the agreeing weights; otherwise sum and
 * divide by the sum of weights; multiply by lambda after normalising; add back the base.
 */
import { sparsify, type Sparsifier } from './shared/sparsify.ts';
import { isF32, weightedSum } from './shared/vec.ts';
import { WEIGHT, bool, num, type KernelArgs, type MergeMethod, type ParamSpec } from './types.ts';

interface FamilyMember {
  readonly name: string;
  readonly prettyName: string;
  readonly description: string;
  readonly paper: { readonly title: string; readonly url: string };
  readonly sparsifier: Sparsifier | undefined;
  readonly consensus: boolean;
  readonly normalize: boolean;
  readonly rescale: boolean;
}

const DENSITY: ParamSpec = {
  name: 'density',
  scope: 'model',
  type: 'number',
  default: 1,
  min: 0,
  max: 1,
  description: 'Fraction of this model’s task vector to keep (1 keeps everything).',
};

const GAMMA: ParamSpec = {
  name: 'gamma',
  scope: 'model',
  type: 'number',
  default: 0.01,
  min: 0,
  max: 1,
  ui: { min: 0, max: 0.2, step: 0.001 },
  description: 'Fraction of the largest-magnitude entries removed as outliers.',
};

const EPSILON: ParamSpec = {
  name: 'epsilon',
  scope: 'model',
  type: 'number',
  default: 0.15,
  min: 0,
  max: 1,
  ui: { min: 0, max: 0.5, step: 0.01 },
  description: 'Spread of keep probabilities: density ± epsilon from smallest to largest magnitude.',
};

function globalParams(m: FamilyMember): ParamSpec[] {
  return [
    {
      name: 'normalize',
      scope: 'global',
      type: 'boolean',
      default: m.normalize,
      description: m.consensus
        ? 'Divide each element by the sum of the weights of the models that agree with the elected sign.'
        : 'Divide the weighted sum of task vectors by the sum of the weights.',
    },
    {
      name: 'rescale',
      scope: 'global',
      type: 'boolean',
      default: m.rescale,
      description: 'After sparsifying, scale what is left so the task vector keeps its L1 norm.',
    },
    {
      name: 'lambda',
      scope: 'global',
      type: 'number',
      default: 1,
      ui: { min: 0, max: 2, step: 0.01 },
      description: 'Scale of the merged task vector, applied after normalising.',
    },
    {
      name: 'int8_mask',
      scope: 'global',
      type: 'boolean',
      default: false,
      noNumericEffect: true,
      description: 'Store masks as int8 to save memory in mergekit; no effect on the numbers.',
    },
  ];
}

function modelParams(m: FamilyMember): ParamSpec[] {
  const ps = [WEIGHT, DENSITY];
  if (m.sparsifier === 'magnitude_outliers') ps.push(GAMMA);
  if (m.sparsifier === 'della_magprune') ps.push(EPSILON);
  return ps;
}

function makeMember(m: FamilyMember): MergeMethod {
  return {
    name: m.name,
    prettyName: m.prettyName,
    description: m.description,
    paper: m.paper,
    base: 'required',
    models: { min: 1 },
    params: [...globalParams(m), ...modelParams(m)],
    rectify: 'crop-to-base',
    random: m.sparsifier === 'random' || m.sparsifier === 'della_magprune',
    elementwise: (_g, perModel) => !m.sparsifier || perModel.every((p) => num(p, 'density') >= 1),
    check: (_g, perModel, numel) => {
      for (const [i, p] of perModel.entries()) {
        const d = num(p, 'density');
        if (m.sparsifier === 'magnitude' && d < 1 && Math.trunc(d * numel) === 0) {
          return `density ${d} of input ${i + 1} keeps no element of this ${numel}-element tensor (mergekit stops here); raise the density`;
        }
        if (m.sparsifier === 'della_magprune' && d > 0 && d < 1) {
          const e = num(p, 'epsilon');
          if (d - e <= 0 || d + e >= 1) {
            return `density ± epsilon must lie inside (0, 1), but input ${i + 1} has density ${d} and epsilon ${e}`;
          }
        }
      }
      return undefined;
    },
    kernel: (args) => familyKernel(m, args),
  };
}

function familyKernel(m: FamilyMember, a: KernelArgs): void {
  const { base, out, round: r } = a;
  if (!base) throw new Error(`${m.name} needs a base tensor`);
  const M = a.inputs.length;
  if (M === 0) {
    out.set(base);
    return;
  }
  const fast = isF32(r);
  const w = a.perModel.map((p) => r(num(p, 'weight')));
  const normalize = bool(a.global, 'normalize');
  const lambda = num(a.global, 'lambda');
  let wsum = 0;
  for (const wk of w) wsum = r(wsum + wk);
  // Without sign consensus the divisor is the plain sum of weights (near 0 -> 1).
  const divisor = Math.abs(wsum) < 1e-8 ? 1 : wsum;
  if (fast && !m.sparsifier && !m.consensus) {
    // Plain task arithmetic: one fused pass, task vectors never materialised.
    weightedSum(out, a.inputs, w, (normalize ? 1 / divisor : 1) * lambda, base, base);
    return;
  }
  // Task vectors, in place in the (scratch) inputs.
  const deltas = a.inputs as Float32Array[];
  for (const d of deltas) {
    if (fast) for (let i = 0; i < d.length; i++) d[i] = d[i]! - base[i]!;
    else for (let i = 0; i < d.length; i++) d[i] = r(d[i]! - base[i]!);
  }
  if (m.sparsifier) sparsifyAll(m.sparsifier, deltas, a);
  if (m.consensus) consensus(deltas, w, normalize, lambda, a);
  else if (fast) weightedSum(out, deltas, w, (normalize ? 1 / divisor : 1) * lambda, base);
  else {
    for (let i = 0; i < out.length; i++) {
      let mixed = 0;
      for (let k = 0; k < M; k++) mixed = r(mixed + r(w[k]! * deltas[k]![i]!));
      if (normalize) mixed = r(mixed / divisor);
      if (lambda !== 1) mixed = r(mixed * lambda);
      out[i] = r(base[i]! + mixed);
    }
  }
}

function sparsifyAll(sparsifier: Sparsifier, deltas: Float32Array[], a: KernelArgs): void {
  const rescale = bool(a.global, 'rescale');
  const random = sparsifier === 'random' || sparsifier === 'della_magprune';
  for (const [k, d] of deltas.entries()) {
    const p = a.perModel[k]!;
    const warning = sparsify(d, sparsifier, {
      density: num(p, 'density'),
      rescale,
      gamma: p['gamma'] === undefined ? 0.01 : num(p, 'gamma'),
      epsilon: p['epsilon'] === undefined ? 0.15 : num(p, 'epsilon'),
      rng: random ? a.rng(k) : undefined,
      shape: a.shape,
      breadcrumbsEmptySliceQuirk: a.compat.breadcrumbsEmptySlice,
    });
    if (warning) a.warn(`input ${k + 1}: ${warning}`);
    if (rescale && !isF32(a.round)) for (let i = 0; i < d.length; i++) d[i] = a.round(d[i]!);
  }
}

/**
 * TIES sign consensus: per element, elect the sign of the sum of weighted deltas (ties to +),
 * keep only the weighted deltas of that sign, and with normalize divide by the sum of the
 * weights that agree (an exact zero agrees with neither sign).
 */
function consensus(
  deltas: Float32Array[],
  w: readonly number[],
  normalize: boolean,
  lambda: number,
  a: KernelArgs,
): void {
  const { base, out, round: r } = a;
  const M = deltas.length;
  const fast = isF32(r);
  if (fast && M <= 4) {
    consensus4(deltas, w, normalize, lambda, base!, out);
    return;
  }
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let k = 0; k < M; k++)
      sum = fast ? sum + w[k]! * deltas[k]![i]! : r(sum + r(w[k]! * deltas[k]![i]!));
    const elected = sum >= 0 ? 1 : -1;
    let mixed = 0;
    let divisor = 0;
    for (let k = 0; k < M; k++) {
      const wd = fast ? Math.fround(w[k]! * deltas[k]![i]!) : r(w[k]! * deltas[k]![i]!);
      if (Math.sign(wd) === elected) {
        mixed = fast ? mixed + wd : r(mixed + wd);
        divisor = fast ? divisor + w[k]! : r(divisor + w[k]!);
      }
    }
    if (normalize) mixed = r(mixed / (divisor === 0 ? 1 : divisor));
    if (lambda !== 1) mixed = r(mixed * lambda);
    out[i] = r(base![i]! + mixed);
  }
}

/** consensus() in float32 mode for up to four models, unrolled (the hot loop of TIES). */
function consensus4(
  deltas: readonly Float32Array[],
  w: readonly number[],
  normalize: boolean,
  lambda: number,
  base: Float32Array,
  out: Float32Array,
): void {
  // Missing models repeat the first with weight 0: their products are 0 and never agree.
  const [d0, d1, d2, d3] = [0, 1, 2, 3].map((k) => deltas[k] ?? deltas[0]!) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const [w0, w1, w2, w3] = [0, 1, 2, 3].map((k) => w[k] ?? 0) as [number, number, number, number];
  const f = Math.fround;
  for (let i = 0; i < out.length; i++) {
    const a0 = f(w0 * d0[i]!);
    const a1 = f(w1 * d1[i]!);
    const a2 = f(w2 * d2[i]!);
    const a3 = f(w3 * d3[i]!);
    const pos = a0 + a1 + a2 + a3 >= 0;
    let mixed = 0;
    let div = 0;
    if (pos ? a0 > 0 : a0 < 0) {
      mixed += a0;
      div += w0;
    }
    if (pos ? a1 > 0 : a1 < 0) {
      mixed += a1;
      div += w1;
    }
    if (pos ? a2 > 0 : a2 < 0) {
      mixed += a2;
      div += w2;
    }
    if (pos ? a3 > 0 : a3 < 0) {
      mixed += a3;
      div += w3;
    }
    if (normalize && div !== 0) mixed /= div;
    out[i] = base[i]! + mixed * lambda;
  }
}

const TA_PAPER = { title: 'Editing Models with Task Arithmetic', url: 'https://arxiv.org/abs/2212.04089' };
const TIES_PAPER = {
  title: 'TIES-Merging: Resolving Interference When Merging Models',
  url: 'https://arxiv.org/abs/2306.01708',
};
const DARE_PAPER = {
  title: 'Language Models are Super Mario: Absorbing Abilities from Homologous Models as a Free Lunch',
  url: 'https://arxiv.org/abs/2311.03099',
};
const BREADCRUMBS_PAPER = {
  title: 'Model Breadcrumbs: Scaling Multi-Task Model Merging with Sparse Masks',
  url: 'https://arxiv.org/abs/2312.06795',
};
const DELLA_PAPER = {
  title: 'DELLA-Merging: Reducing Interference in Model Merging through Magnitude-Based Sampling',
  url: 'https://arxiv.org/abs/2406.11617',
};

export const taskArithmetic = makeMember({
  name: 'task_arithmetic',
  prettyName: 'Task Arithmetic',
  description: 'Add weighted task vectors (fine-tune minus base) to the base.',
  paper: TA_PAPER,
  sparsifier: undefined,
  consensus: false,
  normalize: false,
  rescale: false,
});

export const ties = makeMember({
  name: 'ties',
  prettyName: 'TIES',
  description:
    'Trim each task vector to its largest entries, elect a sign per entry, average the agreeing ones.',
  paper: TIES_PAPER,
  sparsifier: 'magnitude',
  consensus: true,
  normalize: true,
  rescale: false,
});

export const dareTies = makeMember({
  name: 'dare_ties',
  prettyName: 'DARE TIES',
  description: 'Randomly drop task-vector entries and rescale (DARE), then TIES sign election.',
  paper: DARE_PAPER,
  sparsifier: 'random',
  consensus: true,
  normalize: false,
  rescale: true,
});

export const dareLinear = makeMember({
  name: 'dare_linear',
  prettyName: 'Linear DARE',
  description: 'Randomly drop task-vector entries and rescale (DARE), then add them up.',
  paper: DARE_PAPER,
  sparsifier: 'random',
  consensus: false,
  normalize: false,
  rescale: true,
});

export const breadcrumbs = makeMember({
  name: 'breadcrumbs',
  prettyName: 'Model Breadcrumbs',
  description: 'Drop both the smallest entries and the largest outliers of each task vector, then add.',
  paper: BREADCRUMBS_PAPER,
  sparsifier: 'magnitude_outliers',
  consensus: false,
  normalize: false,
  rescale: false,
});

export const breadcrumbsTies = makeMember({
  name: 'breadcrumbs_ties',
  prettyName: 'Model Breadcrumbs with TIES',
  description: 'Breadcrumbs sparsification followed by TIES sign election.',
  paper: BREADCRUMBS_PAPER,
  sparsifier: 'magnitude_outliers',
  consensus: true,
  normalize: false,
  rescale: false,
});

export const della = makeMember({
  name: 'della',
  prettyName: 'DELLA',
  description: 'Drop entries with probabilities ranked by magnitude (MagPrune), rescale, then TIES election.',
  paper: DELLA_PAPER,
  sparsifier: 'della_magprune',
  consensus: true,
  normalize: true,
  rescale: true,
});

export const dellaLinear = makeMember({
  name: 'della_linear',
  prettyName: 'Linear DELLA',
  description: 'DELLA’s magnitude-ranked random drop and rescale, then add without sign election.',
  paper: DELLA_PAPER,
  sparsifier: 'della_magprune',
  consensus: false,
  normalize: false,
  rescale: true,
});
