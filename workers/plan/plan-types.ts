/** The merge plan: every output tensor with its inputs and resolved parameters, before any data is read. */
import type { DType, WritableDType } from '../io/dtypes.ts';
import type { Compat, ResolvedParams } from '../methods/types.ts';
import type { ValueOrigin } from './parameters.ts';
import type { Recipe } from './recipe.ts';
import type { RowDefault, TokenizerFilesPlan } from './tokenizer-plan.ts';

export interface PlannedInput {
  /** The model as the recipe names it. */
  readonly model: string;
  /** The tensor's name in that model (differs from the output name in frankenmerges). */
  readonly tensor: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Keep only the top-left [rows, cols] block (vocab-size rectification of embeddings). */
  readonly crop?: readonly [number, number];
  /**
   * Tokenizer merging: the rows are rebuilt for the output vocabulary (PlannedTensor.vocab),
   * `rows[id]` being this model's own row for output token `id` (-1: it lacks it).
   */
  readonly reindex?: { readonly rows: Int32Array; readonly padded: number };
}

/** How an embedding-like tensor's rows are rebuilt for the output tokenizer (tokenizer-plan.ts). */
export interface TensorVocab {
  /** The output tokenizer's length; rows from here to the tensor's end are padding. */
  readonly size: number;
  /** Rows not taken from a model's own row, in id order. */
  readonly defaults: readonly RowDefault[];
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
  /**
   * merge_studio.weights of the inputs, aligned with `inputs` (a model the block does not name
   * weighs 1), for the methods that take them; absent when all are equal (mergekit's merge).
   */
  readonly weights?: readonly number[];
  /** The kernel may run on chunks of this tensor. */
  readonly elementwise: boolean;
  readonly isEmbed: boolean;
  /** Present when the inputs' rows are rebuilt for the output tokenizer. */
  readonly vocab?: TensorVocab;
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
  /** The output's tokenizer files, when they are not the donor's copied as they are. */
  readonly tokenizerFiles?: TokenizerFiles;
}

/** The tokenizer files to write: the donor's, rewritten (workers/engine/tokenizer-files.ts). */
export interface TokenizerFiles extends TokenizerFilesPlan {
  /** The chat template to set (resolved from the recipe's `chat_template`). */
  readonly chatTemplate?: string;
}
