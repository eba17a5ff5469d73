/**
 * Which tensors are the input embedding and the output head, and reading them whole as
 * float32 (the only tensors tokensurgeon holds in memory: MODEL's and the donor's, embed and
 * lm_head). mergekit finds them through its architecture definitions; here by the names
 * transformers gives them across families (../plan/architecture.ts, which merges know them by
 * too), each a whole name component, so a vision tower's `vision_embed_tokens` is not mistaken
 * for the vocabulary.
 */
import { decodeToF32, isWritableDType, type WritableDType } from '../io/dtypes.ts';
import type { LoadedModel } from '../io/load-model.ts';
import { INPUT_EMBEDDING, OUTPUT_HEAD } from '../plan/architecture.ts';
import { TokenSurgeonError } from './errors.ts';
import { matrix, type Matrix } from './matrix.ts';

export interface EmbeddingNames {
  readonly embed: string;
  /** Absent for a model with tied embeddings (no head tensor). */
  readonly lmHead: string | undefined;
}

function only(model: LoadedModel, re: RegExp, what: string): string | undefined {
  const names = [...model.tensors.keys()].filter((n) => re.test(n));
  if (names.length > 1) {
    throw new TokenSurgeonError(
      `${model.id} has several ${what} tensors (${names.join(', ')}): tokensurgeon handles single-module language models only`,
    );
  }
  return names[0];
}

export function embeddingNames(model: LoadedModel): EmbeddingNames {
  const embed = only(model, INPUT_EMBEDDING, 'input embedding');
  if (!embed) {
    throw new TokenSurgeonError(
      `${model.id} has no input embedding tensor (looked for *.embed_tokens.weight, wte, embed_in, word_embeddings, tok_embeddings)`,
    );
  }
  return { embed, lmHead: only(model, OUTPUT_HEAD, 'output head') };
}

export interface LoadedMatrix extends Matrix {
  readonly dtype: WritableDType;
}

/** The warning for a model without a head tensor whose config says it is not tied (only the embedding is rebuilt). */
export function headlessWarning(model: LoadedModel, names: EmbeddingNames): string | undefined {
  return !names.lmHead && model.config['tie_word_embeddings'] === false
    ? `${model.id} has no output head tensor though tie_word_embeddings is false; only ${names.embed} is rebuilt`
    : undefined;
}

/** [vocab, hidden] of an embedding or head tensor, from the header; refused when it is not a matrix. */
export function matrixShape(model: LoadedModel, name: string): [number, number] {
  const t = model.tensors.get(name);
  if (!t) throw new TokenSurgeonError(`${model.id} has no tensor ${name}`);
  if (t.shape.length !== 2) {
    throw new TokenSurgeonError(
      `${model.id}: ${name} has shape [${t.shape.join(', ')}], not [vocab, hidden]`,
    );
  }
  return t.shape as [number, number];
}

export async function readMatrix(
  model: LoadedModel,
  name: string,
  signal?: AbortSignal,
): Promise<LoadedMatrix> {
  const [rows, cols] = matrixShape(model, name);
  const t = model.tensors.get(name)!;
  if (!isWritableDType(t.dtype)) {
    throw new TokenSurgeonError(`${model.id}: ${name} is stored as ${t.dtype}; tokensurgeon reads F32, F16 and BF16 embeddings`); // prettier-ignore
  }
  const src = await model.source.open(t.file, signal);
  const bytes = await src.read(t.begin, t.end - t.begin, signal);
  return { ...matrix(rows, cols, decodeToF32(bytes, t.dtype)), dtype: t.dtype };
}
