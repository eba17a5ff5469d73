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
 *
 * Options of the recipe's `merge_studio` block that mergekit lacks reach the kernel through
 * compat: `consensus` (members with a sign election), `rescale_norm` (members with a
 * sparsifier, when `rescale` is on), both of which mergekit has inside but does not expose,
 * and `topk_scope` (the magnitude cuts of ties and breadcrumbs per row).
 */
import { streamFamily } from './shared/family-stream.ts';
import type { Sparsifier } from './shared/sparsify-stream.ts';
import { kernelFromStream } from './stream.ts';
import { WEIGHT, num, type MergeMethod, type ParamSpec } from './types.ts';

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
      description:
        'After sparsifying, scale what is left so the task vector keeps its L1 norm (or what merge_studio.rescale_norm names).',
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
    kernel: kernelFromStream((args) => streamFamily(m, args)),
    stream: (args) => streamFamily(m, args),
    family: { name: m.name, sparsifier: m.sparsifier, consensus: m.consensus },
    studioOptions: [
      ...(m.consensus ? ['consensus' as const] : []),
      ...(m.sparsifier ? ['rescale_norm' as const] : []),
      ...(m.sparsifier === 'magnitude' || m.sparsifier === 'magnitude_outliers'
        ? ['topk_scope' as const]
        : []),
    ],
  };
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
