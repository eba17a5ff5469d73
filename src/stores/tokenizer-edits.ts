/**
 * Pure edits of a recipe's tokenizer and chat template keys, as the run panel's controls make
 * them. mergekit has two spellings of the tokenizer's source, `tokenizer_source: X` (legacy) and
 * `tokenizer: {source: X, tokens, pad_to_multiple_of}`, and a recipe may hold only one: an edit
 * keeps the spelling the recipe already uses, and converts to the block only for what only the
 * block can say (padding). No key at all means something else again: the base model's
 * tokenizer files are copied and embedding rows are merged by id (workers/plan/tokenizer-plan.ts).
 */
import {
  referencedModels,
  tokenizerSource,
  type Recipe,
  type TokenEmbeddingConfig,
  type TokenizerConfig,
  type TokenizerSourceName,
} from '../../workers/plan/recipe.ts';

/** A `tokenizer:` block in the order mergekit's docs write it: source, tokens, pad_to_multiple_of. */
function block(
  source: TokenizerSourceName,
  tokens: TokenizerConfig['tokens'],
  pad: number | undefined,
): TokenizerConfig {
  return {
    source,
    ...(tokens && Object.keys(tokens).length > 0 && { tokens }),
    ...(pad !== undefined && { pad_to_multiple_of: pad }),
  };
}

/** The recipe without either tokenizer key. */
function withoutTokenizer(r: Recipe): Recipe {
  const { tokenizer: _t, tokenizer_source: _s, ...rest } = r;
  return rest;
}

/**
 * Sets where the output's tokenizer comes from: `base`, `union` or one of the models; undefined
 * removes both keys, and with them the block's `tokens` and `pad_to_multiple_of`.
 */
export function setTokenizerSource(r: Recipe, source: TokenizerSourceName | undefined): Recipe {
  const rest = withoutTokenizer(r);
  if (source === undefined) return rest;
  return r.tokenizer
    ? { ...rest, tokenizer: { ...r.tokenizer, source } }
    : { ...rest, tokenizer_source: source };
}

/**
 * Sets `tokenizer.pad_to_multiple_of` (undefined: removes it). Only the block can hold it, so a
 * `tokenizer_source` becomes a `tokenizer: {source}` block. Without a source it does nothing
 * (padding applies only to mergekit's tokenizer handling), nor for a count below 1 or a fraction.
 */
export function setPadToMultipleOf(r: Recipe, n: number | undefined): Recipe {
  const source = tokenizerSource(r);
  if (source === undefined) return r;
  if (n !== undefined && !(Number.isInteger(n) && n >= 1)) return r;
  return { ...withoutTokenizer(r), tokenizer: block(source, r.tokenizer?.tokens, n) };
}

/** Sets `chat_template`: auto, a built-in name or a Jinja template; undefined or '' removes it. */
export function setChatTemplate(r: Recipe, template: string | undefined): Recipe {
  const { chat_template: _c, ...rest } = r;
  return template === undefined || template === '' ? rest : { ...rest, chat_template: template };
}

/** The model a token's embedding source takes rows from, if any. */
function sourceModel(cfg: TokenEmbeddingConfig): string | undefined {
  const src = cfg.source;
  return typeof src === 'string' ? src : src.kind === 'model_token' ? src.model : undefined;
}

/**
 * After model `id` left the recipe: a tokenizer source naming it falls back to `base`, and the
 * `tokenizer.tokens` entries taking rows from it are dropped (with the model, as its parameters
 * are). Falling back to `base` rather than removing the key keeps what the user asked for, the
 * tokenizer handling and the block's other settings (padding, other tokens), as removing the base
 * model picks another base instead of dropping it; a source naming a removed model could never
 * plan. Nothing changes while the model is still named elsewhere (a slice).
 */
export function forgetTokenizerModel(r: Recipe, id: string): Recipe {
  if (referencedModels(r).includes(id)) return r;
  // `base` and `union` are keywords even when a model has that name (as mergekit reads them).
  const named = id !== 'base' && id !== 'union' && tokenizerSource(r) === id;
  const next = named ? setTokenizerSource(r, 'base') : r;
  const t = next.tokenizer;
  if (!t?.tokens) return next;
  const kept = Object.entries(t.tokens).filter(([, cfg]) => sourceModel(cfg) !== id);
  if (kept.length === Object.keys(t.tokens).length) return next;
  return { ...next, tokenizer: block(t.source, Object.fromEntries(kept), t.pad_to_multiple_of) };
}
