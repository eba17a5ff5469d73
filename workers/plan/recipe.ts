/**
 * A recipe is a mergekit configuration, kept in mergekit's own shape and spelling (snake_case
 * keys) so that YAML goes in and out unchanged. Our few extensions live under one key,
 * `merge_studio`, which mergekit ignores (its config model drops unknown keys).
 */

import type { ConsensusMethod, RescaleNorm, TopkScope } from '../methods/types.ts';

export type Scalar = number | boolean | string;
export type ScalarOrGradient = Scalar | readonly Scalar[];

export interface ConditionalParameter {
  readonly filter?: string;
  readonly value: ScalarOrGradient;
}

/** A scalar, a gradient (list of numbers over the layers), or a list of filtered values. */
export type ParameterSetting = ScalarOrGradient | readonly ConditionalParameter[];
export type ParameterMap = Readonly<Record<string, ParameterSetting>>;

export interface InputModel {
  readonly model: string;
  readonly parameters?: ParameterMap;
}

export interface InputSlice {
  readonly model: string;
  readonly layer_range: readonly [number, number];
  readonly parameters?: ParameterMap;
}

export interface OutputSlice {
  readonly sources: readonly InputSlice[];
  readonly base_model?: string;
  readonly parameters?: ParameterMap;
  /** In mergekit's schema but unused there; accepted and ignored. */
  readonly residual_weight?: number;
}

/**
 * One module of a multi-module (vision-language) model, in mergekit's `modules:` syntax: the
 * module's own models or slices (layer ranges in that module's layers), and parameters that
 * apply inside it, between a slice's and the recipe's.
 */
export interface OutputModule {
  readonly models?: readonly InputModel[];
  readonly slices?: readonly OutputSlice[];
  readonly parameters?: ParameterMap;
}

export const COMPUTE_DTYPES = ['float32', 'float16', 'bfloat16'] as const;
export type TorchDType = (typeof COMPUTE_DTYPES)[number];

/** mergekit quirks a recipe may switch off (see docs/differences.md). */
export const FIXES = ['breadcrumbs_empty_slice'] as const;
export type FixName = (typeof FIXES)[number];

/** Where a token's embedding row comes from when a model lacks the token (or `force` is set). */
export type TokenEmbeddingSource =
  /** That model's row for the token. */
  | string
  | { readonly kind: 'zero' }
  /** Another token's row in a model (by its text or its id in that model), e.g. a rename. */
  | {
      readonly kind: 'model_token';
      readonly model: string;
      readonly token?: string;
      readonly token_id?: number;
    };

export interface TokenEmbeddingConfig {
  readonly source: TokenEmbeddingSource;
  /** Use the source's row even in models that have the token. */
  readonly force?: boolean;
}

/** The output tokenizer: the base's, one model's, or the union of every model's tokens. */
export type TokenizerSourceName = 'base' | 'union' | (string & {});

/**
 * mergekit's `tokenizer:` block (tokenizer/config.py): the source (union when absent), per-token
 * embedding sources, and padding of the embeddings to a multiple of rows (with their mean row).
 */
export interface TokenizerConfig {
  readonly source: TokenizerSourceName;
  readonly tokens?: Readonly<Record<string, TokenEmbeddingConfig>>;
  readonly pad_to_multiple_of?: number;
}

/**
 * Merge Studio's own options (docs/differences.md): the random methods' seed, the compute
 * dtype, mergekit bugs to fix, two options mergekit has inside but does not expose for the
 * task-vector family and sce, the scope of the magnitude cuts, and weights for the methods
 * mergekit averages with equal ones; mergekit's behaviour when absent.
 */
export interface StudioOptions {
  /** Seed of the random methods; the same seed gives the same bytes. */
  readonly seed?: number;
  /** Do the math in float32 even when `dtype` asks for bf16/f16 (then `dtype` only sets the output). */
  readonly compute_dtype?: 'float32';
  /** mergekit bugs to fix instead of reproduce. */
  readonly fix?: readonly FixName[];
  /** How methods with sign consensus elect the sign: by the weighted sum (mergekit) or by count. */
  readonly consensus?: ConsensusMethod;
  /** What `rescale: true` keeps: the L1 norm (mergekit), L2, L-infinity, or 1 / density. */
  readonly rescale_norm?: RescaleNorm;
  /** Over what TIES' and breadcrumbs' magnitude cuts rank: the whole tensor (mergekit) or each row. */
  readonly topk_scope?: TopkScope;
  /**
   * karcher's and model_stock's weight of each model, by its name in the recipe (positive;
   * a model not named weighs 1). mergekit's parameter lists for them have no `weight`.
   */
  readonly weights?: Readonly<Record<string, number>>;
}

export interface Recipe {
  readonly merge_method: string;
  readonly base_model?: string;
  readonly models?: readonly InputModel[];
  readonly slices?: readonly OutputSlice[];
  /** Per module of a multi-module model (text_decoder, vision_tower, ...); instead of models/slices. */
  readonly modules?: Readonly<Record<string, OutputModule>>;
  readonly parameters?: ParameterMap;
  readonly dtype?: TorchDType;
  readonly out_dtype?: TorchDType;
  /** 'base', 'union' or a model of the recipe (mergekit's legacy spelling of `tokenizer.source`). */
  readonly tokenizer_source?: TokenizerSourceName;
  /** The same as `tokenizer_source`, in mergekit's newer spelling; never both. */
  readonly tokenizer?: TokenizerConfig;
  /** 'auto' (the models' most common template), a built-in name, or a Jinja template. */
  readonly chat_template?: string;
  readonly merge_studio?: StudioOptions;
}

/** Where the output's tokenizer comes from, when the recipe asks for mergekit's tokenizer handling. */
export function tokenizerSource(r: Recipe): TokenizerSourceName | undefined {
  return r.tokenizer?.source ?? r.tokenizer_source;
}

/** Every model a recipe names, base first, each once, in order of appearance. */
export function referencedModels(r: Recipe): string[] {
  const seen = new Set<string>();
  if (r.base_model) seen.add(r.base_model);
  const add = (models: readonly InputModel[] | undefined, slices: readonly OutputSlice[] | undefined) => {
    for (const m of models ?? []) seen.add(m.model);
    for (const s of slices ?? []) {
      if (s.base_model) seen.add(s.base_model);
      for (const src of s.sources) seen.add(src.model);
    }
  };
  add(r.models, r.slices);
  for (const m of Object.values(r.modules ?? {})) add(m.models, m.slices);
  return [...seen];
}
