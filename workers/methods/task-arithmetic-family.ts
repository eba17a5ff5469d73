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
import { StreamSparsifier, type Sparsifier } from './shared/sparsify-stream.ts';
import { isF32, weightedSum } from './shared/vec.ts';
import { chunks, kernelFromStream, type StreamArgs } from './stream.ts';
import { WEIGHT, bool, num, type MergeMethod, type ParamSpec, type ResolvedParams } from './types.ts';

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
    kernel: kernelFromStream((args) => streamFamily(m, args)),
    stream: (args) => streamFamily(m, args),
  };
}

/**
 * The family over a chunk source: statistics passes for the sparsifiers, then one pass that
 * masks, weights and combines each chunk. Task vectors are recomputed from the inputs in every
 * pass (cheap) instead of being kept, so memory does not grow with the tensor.
 */
function streamFamily(m: FamilyMember, a: StreamArgs): void {
  const { src, round: r } = a;
  if (!src.hasBase) throw new Error(`${m.name} needs a base tensor`);
  const M = src.count;
  const n = src.numel;
  const fast = isF32(r);
  const w = a.perModel.map((p) => r(num(p, 'weight')));
  const normalize = bool(a.global, 'normalize');
  const lambda = num(a.global, 'lambda');
  let wsum = 0;
  for (const wk of w) wsum = r(wsum + wk);
  // Without sign consensus the divisor is the plain sum of weights (near 0 -> 1).
  const scale = (normalize ? 1 / (Math.abs(wsum) < 1e-8 ? 1 : wsum) : 1) * lambda;
  const cols = a.shape.length >= 2 ? a.shape[a.shape.length - 1]! : n;
  const sparsifiers = m.sparsifier
    ? a.perModel.map((p, k) => sparsifierFor(m.sparsifier!, p, k, a, cols, n))
    : [];
  const align = m.sparsifier === 'della_magprune' ? cols : 1;
  const size = Math.min(n, Math.max(a.chunk, align));
  const base = new Float32Array(size);
  const deltas = Array.from({ length: M }, () => new Float32Array(size));
  const out = new Float32Array(size);
  // Plain task arithmetic in float32: one fused pass, task vectors never materialised.
  const direct = fast && !m.sparsifier && !m.consensus;
  const load = (start: number, len: number): { b: Float32Array; d: Float32Array[] } => {
    const b = base.subarray(0, len);
    src.read(-1, start, b);
    const d = deltas.map((buf, k) => {
      const x = buf.subarray(0, len);
      src.read(k, start, x);
      if (direct) return x;
      if (fast) for (let i = 0; i < len; i++) x[i] = x[i]! - b[i]!;
      else for (let i = 0; i < len; i++) x[i] = r(x[i]! - b[i]!);
      return x;
    });
    return { b, d };
  };
  const passes = Math.max(0, ...sparsifiers.map((s) => s.passes));
  for (let pass = 0; pass < passes; pass++) {
    const active = sparsifiers.filter((s) => pass < s.passes);
    for (const s of active) s.beginPass();
    for (const [start, len] of chunks(n, size, align)) {
      const { d } = load(start, len);
      sparsifiers.forEach((s, k) => pass < s.passes && s.observe(pass, d[k]!, start));
    }
    for (const s of active) s.endPass(pass);
  }
  sparsifiers.forEach((s, k) => {
    s.beginPass();
    if (s.warning) a.warn(`input ${k + 1}: ${s.warning}`);
  });
  for (const [start, len] of chunks(n, size, align)) {
    const { b, d } = load(start, len);
    sparsifiers.forEach((s, k) => s.apply(d[k]!, start, r));
    const o = out.subarray(0, len);
    if (M === 0) o.set(b);
    else if (m.consensus) consensus(d, w, normalize, lambda, b, o, r);
    else if (direct) weightedSum(o, d, w, scale, b, b);
    else if (fast) weightedSum(o, d, w, scale, b);
    else linearCombine(d, w, normalize ? (Math.abs(wsum) < 1e-8 ? 1 : wsum) : undefined, lambda, b, o, r);
    a.emit(start, o);
  }
}

function sparsifierFor(
  method: Sparsifier,
  p: ResolvedParams,
  k: number,
  a: StreamArgs,
  cols: number,
  n: number,
): StreamSparsifier {
  return new StreamSparsifier(
    {
      method,
      density: num(p, 'density'),
      rescale: bool(a.global, 'rescale'),
      gamma: p['gamma'] === undefined ? 0.01 : num(p, 'gamma'),
      epsilon: p['epsilon'] === undefined ? 0.15 : num(p, 'epsilon'),
      rng: method === 'random' || method === 'della_magprune' ? a.rng(k) : undefined,
      cols,
      breadcrumbsQuirk: a.compat.breadcrumbsEmptySlice,
    },
    n,
  );
}

/** Sum of weighted task vectors, step by step in the compute dtype (bf16/f16 emulation). */
function linearCombine(
  deltas: readonly Float32Array[],
  w: readonly number[],
  divisor: number | undefined,
  lambda: number,
  base: Float32Array,
  out: Float32Array,
  r: (x: number) => number,
): void {
  for (let i = 0; i < out.length; i++) {
    let mixed = 0;
    for (let k = 0; k < deltas.length; k++) mixed = r(mixed + r(w[k]! * deltas[k]![i]!));
    if (divisor !== undefined) mixed = r(mixed / divisor);
    if (lambda !== 1) mixed = r(mixed * lambda);
    out[i] = r(base[i]! + mixed);
  }
}

/**
 * TIES sign consensus: per element, elect the sign of the sum of weighted deltas (ties to +),
 * keep only the weighted deltas of that sign, and with normalize divide by the sum of the
 * weights that agree (an exact zero agrees with neither sign).
 */
function consensus(
  deltas: readonly Float32Array[],
  w: readonly number[],
  normalize: boolean,
  lambda: number,
  base: Float32Array,
  out: Float32Array,
  r: (x: number) => number,
): void {
  const M = deltas.length;
  const fast = isF32(r);
  if (fast && M <= 4) {
    consensus4(deltas, w, normalize, lambda, base, out);
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
    out[i] = r(base[i]! + mixed);
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
