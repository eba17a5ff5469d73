/**
 * A model's tokenizer vocabulary (tokenizer.json), read only for recipes with
 * `tokenizer_source` / `tokenizer:` (workers/plan/tokenizer-plan.ts): other merges never need
 * it, and it can be tens of megabytes.
 */
import { tokenizerSource, type Recipe } from '../plan/recipe.ts';
import { tokenizerInfoFromJson, type TokenizerInfo } from '../plan/tokenizer-vocab.ts';
import type { LoadedModel } from './load-model.ts';
import { MAX_JSON_FILE_BYTES } from './source.ts';

/** Files that hold a vocabulary in another form: transformers could load them, we cannot. */
const OTHER_VOCAB_FILES = ['tokenizer.model', 'vocab.json', 'vocab.txt', 'spiece.model'];

export async function readTokenizerInfo(
  model: Pick<LoadedModel, 'files' | 'source'>,
  signal?: AbortSignal,
): Promise<TokenizerInfo> {
  if (!model.files.includes('tokenizer.json')) {
    const other = OTHER_VOCAB_FILES.filter((f) => model.files.includes(f));
    return other.length === 0
      ? { kind: 'none' }
      : {
          kind: 'unreadable',
          reason: `no tokenizer.json, only ${other.join(', ')}; save it with transformers' AutoTokenizer to get one`,
        };
  }
  const bytes = await model.source.readFile('tokenizer.json', signal, MAX_JSON_FILE_BYTES);
  if (!bytes) return { kind: 'none' };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return { kind: 'unreadable', reason: `tokenizer.json is not valid JSON (${String(e)})` };
  }
  return tokenizerInfoFromJson(json);
}

/** The model with its tokenizer vocabulary attached when the recipe needs it, else unchanged. */
export async function withTokenizer<M extends LoadedModel>(
  recipe: Recipe,
  model: M,
  signal?: AbortSignal,
): Promise<M> {
  if (tokenizerSource(recipe) === undefined) return model;
  return { ...model, tokenizer: await readTokenizerInfo(model, signal) };
}
