/** The merge plan: every output tensor with its inputs and resolved parameters, before any data is read. */
import type { DType, WritableDType } from '../io/dtypes.ts';
import type { Compat, ResolvedParams } from '../methods/types.ts';
import type { ValueOrigin } from './parameters.ts';
import type { Recipe } from './recipe.ts';

export interface PlannedInput {
  /** The model as the recipe names it. */
  readonly model: string;
  /** The tensor's name in that model (differs from the output name in frankenmerges). */
  readonly tensor: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Keep only the top-left [rows, cols] block (vocab-size rectification of embeddings). */
  readonly crop?: readonly [number, number];
}

export interface PlannedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: WritableDType;
  readonly section: 'pre' | 'layer' | 'post';
  /** Output layer index, for layer tensors. */
  readonly layer?: number;
  /** Position in the output slice used for gradients (0 for embeddings, norm and head). */
  readonly t: number;
  readonly base?: PlannedInput;
  /** The kernel's inputs, in recipe order. */
  readonly inputs: readonly PlannedInput[];
  readonly global: ResolvedParams;
  readonly perModel: readonly ResolvedParams[];
  /** Where each value came from (for the UI's "which filter matched" view). */
  readonly origins: {
    readonly global: Readonly<Record<string, ValueOrigin>>;
    readonly perModel: readonly Readonly<Record<string, ValueOrigin>>[];
  };
  /** The kernel may run on chunks of this tensor. */
  readonly elementwise: boolean;
  readonly isEmbed: boolean;
}

export interface MergePlan {
  readonly recipe: Recipe;
  readonly method: string;
  readonly tensors: readonly PlannedTensor[];
  /** The dtype the arithmetic is rounded to (float32 unless the recipe asks otherwise). */
  readonly computeDtype: WritableDType;
  readonly numLayers: number;
  /** The model whose config, tokenizer and generation files the output takes. */
  readonly donor: string;
  /** The output config.json, patched. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly warnings: readonly string[];
  readonly seed: number;
  readonly compat: Compat;
}
