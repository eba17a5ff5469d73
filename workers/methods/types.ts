/**
 * The shape of a merge method: data (name, paper, parameter schema, model-count rules) plus a
 * pure CPU kernel over Float32Array. The schema drives YAML validation, the UI's controls and
 * the docs; the kernel is the numeric spec that every other backend is tested against.
 *
 * Kernels never see gradients, filters or dtypes: the planner resolves every parameter to one
 * number per tensor (and per model), and IO hands over float32.
 */
import type { Rng } from '../rng.ts';
import type { FamilyKernel } from './shared/family-stream.ts';
import type { StreamKernel } from './stream.ts';

export type ParamValue = number | boolean;

export interface ParamSpec {
  readonly name: string;
  /** 'global': one value per tensor; 'model': one value per input model per tensor. */
  readonly scope: 'global' | 'model';
  readonly type: 'number' | 'boolean';
  /** Absent with `required` false means "no value" (e.g. passthrough's optional scale). */
  readonly default?: ParamValue;
  /** Required for every non-base model (scope 'model') or for the tensor (scope 'global'). */
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Whether `min` / `max` themselves are allowed (default true). */
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
  /** Suggested slider range and step when the valid range is open-ended. */
  readonly ui?: { readonly min: number; readonly max: number; readonly step: number };
  readonly description: string;
  /** True for integer-valued parameters (max_iter). */
  readonly integer?: boolean;
  /** mergekit accepts the parameter but it changes nothing (int8_mask). */
  readonly noNumericEffect?: boolean;
}

export type ResolvedParams = Readonly<Record<string, ParamValue | undefined>>;

/** How a method treats the recipe's base_model. */
export type BaseRole =
  /** The base is the reference point (task vectors, slerp's t = 0 end); it must be given. */
  | 'required'
  /** With a base the method works on task vectors; without, on the raw tensors. */
  | 'optional'
  /** The base, if given, is simply one more input (linear, karcher, passthrough). */
  | 'input';

/**
 * What mergekit does when an embedding-like tensor (`is_embed`) differs in shape between
 * models: crop all to the common top-left block, crop the others to the base's shape, or
 * nothing (the shapes must then agree).
 */
export type EmbedRectify = 'crop-common' | 'crop-to-base' | 'none';

export interface KernelArgs {
  /**
   * The non-base inputs in recipe order, all of the output's element count. They are scratch:
   * a kernel may overwrite them (task vectors in place) to keep memory at one tensor per model.
   */
  readonly inputs: readonly Float32Array[];
  /** The base tensor, when the method has one and the recipe names it. Never modified. */
  readonly base: Float32Array | undefined;
  readonly shape: readonly number[];
  readonly global: ResolvedParams;
  /** Aligned with `inputs`. */
  readonly perModel: readonly ResolvedParams[];
  /**
   * Rounds a value to the compute dtype after each arithmetic step, emulating torch's per-op
   * rounding: Math.fround for float32, a bf16/f16 rounder when the recipe computes in those.
   */
  readonly round: (x: number) => number;
  /** A seeded stream per input model (random methods only). */
  readonly rng: (modelIndex: number) => Rng;
  /** Receives the result. May alias nothing. */
  readonly out: Float32Array;
  /** Non-fatal remarks for the user ("t extrapolates", "fell back to lerp"). */
  readonly warn: (message: string) => void;
  /** Which of mergekit's quirks to reproduce (all on by default, for parity). */
  readonly compat: Compat;
  /**
   * merge_studio.weights of the methods that take them (karcher, model_stock), aligned with
   * `inputs`, all positive; absent when the recipe sets none or they are all equal, which
   * merges exactly as mergekit's equal weights do.
   */
  readonly weights?: readonly number[];
}

/**
 * How sign consensus elects each element's sign (mergekit's `get_mask`): `sum`, the sign of
 * the sum of the weighted deltas (TIES; all mergekit uses), or `count`, the sign more of them
 * have (sign 0 counts for neither); ties go to + either way.
 */
export const CONSENSUS_METHODS = ['sum', 'count'] as const;
export type ConsensusMethod = (typeof CONSENSUS_METHODS)[number];

/**
 * What a sparsifier's rescale keeps (mergekit's `RescaleNorm`, which mergekit's YAML always
 * sets to l1): the L1, L2 or L-infinity norm of the dense delta, or `inverse_density`, each kept
 * entry times 1 / density, its keep probability (DARE's paper).
 */
export const RESCALE_NORMS = ['l1', 'l2', 'linf', 'inverse_density'] as const;
export type RescaleNorm = (typeof RESCALE_NORMS)[number];

/**
 * Over what the magnitude sparsifiers (TIES, breadcrumbs) rank |delta|: the whole tensor
 * (mergekit's), or each row (the last dim) on its own. `global`, one cut over the whole model
 * as in the TIES paper, is refused (../plan/validate-studio.ts says why).
 */
export const TOPK_SCOPES = ['tensor', 'row'] as const;
export type TopkScope = (typeof TOPK_SCOPES)[number];

/**
 * mergekit behaviours we reproduce by default so numbers match, and let a recipe turn off
 * (`merge_studio.fix` in the YAML), and the options mergekit lacks (`merge_studio.consensus`,
 * `rescale_norm`, `topk_scope`), at mergekit's values by default. Each is documented in
 * docs/differences.md. (`merge_studio.weights` is per model: KernelArgs.weights.)
 */
export interface Compat {
  /** breadcrumbs with no outliers to remove (gamma * n < 1) zeroes the whole delta. */
  readonly breadcrumbsEmptySlice: boolean;
  readonly consensus: ConsensusMethod;
  readonly rescaleNorm: RescaleNorm;
  readonly topkScope: TopkScope;
}

export const MERGEKIT_COMPAT: Compat = {
  breadcrumbsEmptySlice: true,
  consensus: 'sum',
  rescaleNorm: 'l1',
  topkScope: 'tensor',
};

/** The recipe's `merge_studio` options a method may take (see MergeMethod.studioOptions). */
export type StudioOptionName = 'consensus' | 'rescale_norm' | 'topk_scope' | 'weights';

export interface MergeMethod {
  readonly name: string;
  readonly prettyName: string;
  /** One line for the method picker. */
  readonly description: string;
  readonly paper?: { readonly title: string; readonly url: string };
  readonly base: BaseRole;
  /** Number of non-base models (for 'input' methods: all inputs, base included). */
  readonly models: { readonly min: number; readonly max?: number };
  readonly params: readonly ParamSpec[];
  readonly rectify: EmbedRectify;
  /** Draws random numbers (DARE, DELLA, fusion's sampling). */
  readonly random?: boolean;
  /**
   * True when each output element depends only on the same element of the inputs, so the
   * engine may run the kernel on chunks of a tensor. May depend on the resolved parameters.
   */
  readonly elementwise: (global: ResolvedParams, perModel: readonly ResolvedParams[]) => boolean;
  /**
   * Checks that depend on several resolved parameters of one tensor (della's
   * density +- epsilon). Returns a message for the user, or undefined.
   */
  readonly check?: (
    global: ResolvedParams,
    perModel: readonly ResolvedParams[],
    numel: number,
    /** Rounds to the compute dtype (Math.fround for float32). */
    round?: (x: number) => number,
  ) => string | undefined;
  readonly kernel: (args: KernelArgs) => void;
  /**
   * The same kernel in streaming form (whole-tensor statistics in passes over chunks, then
   * the output chunk by chunk): the engine runs it straight from the inputs' stored bytes.
   */
  readonly stream?: StreamKernel;
  /**
   * Task-vector family members: what their kernel needs to know of them, so the engine can
   * merge a tensor in parts on parallel lanes (../engine/parallel).
   */
  readonly family?: FamilyKernel;
  /**
   * The `merge_studio` options that change this method's numbers: `consensus` where it elects
   * a sign, `rescale_norm` where it sparsifies (and so may rescale), `topk_scope` where it cuts
   * by magnitude, `weights` where mergekit has no per-model weight (karcher, model_stock).
   * Others are warned about.
   */
  readonly studioOptions?: readonly StudioOptionName[];
}

/** Small accessors so kernels read resolved parameters without casts. */
export function num(p: ResolvedParams, name: string): number {
  const v = p[name];
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new Error(`parameter ${name} was not resolved`);
}

export function bool(p: ResolvedParams, name: string): boolean {
  const v = p[name];
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  throw new Error(`parameter ${name} was not resolved`);
}

export const WEIGHT: ParamSpec = {
  name: 'weight',
  scope: 'model',
  type: 'number',
  required: true,
  ui: { min: -1, max: 2, step: 0.01 },
  description: 'How much of this model goes into the merge (relative when the method normalises).',
};
