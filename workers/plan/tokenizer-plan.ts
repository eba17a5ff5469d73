/**
 * `tokenizer_source: base` (or `tokenizer: {source: base}`), as far as it can be done exactly.
 *
 * mergekit (tokenizer/build.py, tokenizer/embed.py, merge.py) then:
 * 1. loads the base's tokenizer (the first referenced model's without a base; that is an
 *    arbitrary one, referenced_models() being a set) and strips the tokens whose id is ≥ the
 *    base's config vocab_size, rewriting the tokenizer;
 * 2. rebuilds every embedding-like tensor of every model with len(tokenizer) rows, row i being
 *    the model's row for token i's text (by `get_vocab()`), before the merge method sees it;
 * 3. sets config.json's vocab_size to len(tokenizer) and saves that tokenizer.
 *
 * When every model's vocabulary (tokenizer.json's vocab plus added tokens) is the base's and
 * its ids are 0..n-1, step 2 is the identity on the first n rows: the embeddings are cropped to
 * n = len(tokenizer) rows (Qwen2.5's 152064 padded rows become 151665). That is what we do.
 * Re-indexing rows by token (different tokenizers) and rewriting a stripped tokenizer are
 * refused before any tensor data is read.
 */
import { isEmbedName, isTiedHeadName, type ModelInfo } from './architecture.ts';
import { textConfig } from './output-config.ts';
import { RecipeError, type YamlPath } from './problems.ts';
import { referencedModels, tokenizerSource, type Recipe } from './recipe.ts';
import { vocabDifference, type TokenVocab } from './tokenizer-vocab.ts';

function fail(path: YamlPath, message: string): never {
  throw new RecipeError([{ path, message, severity: 'error' }]);
}

function embeddingRows(m: ModelInfo): number | undefined {
  for (const [name, t] of m.tensors) {
    if (isEmbedName(name) && !isTiedHeadName(name) && t.shape.length === 2) return t.shape[0];
  }
  return undefined;
}

/** The ids ≥ `vocabSize`, as mergekit's get_stripped_tokenizer finds them. */
function beyond(vocab: TokenVocab, vocabSize: number): [string, number][] {
  return [...vocab].filter(([, id]) => id >= vocabSize);
}

/**
 * The number of rows every embedding-like tensor keeps, or undefined when the recipe asks for no
 * tokenizer handling (or the tokenizers were not read: then a warning says so). Throws a
 * RecipeError, pointing at the recipe's tokenizer key, for what cannot be done exactly.
 */
export function planTokenizer(
  recipe: Recipe,
  models: ReadonlyMap<string, ModelInfo>,
  warnings: Set<string>,
): number | undefined {
  if (tokenizerSource(recipe) === undefined) return undefined;
  const path: YamlPath = recipe.tokenizer ? ['tokenizer', 'source'] : ['tokenizer_source'];
  const key = recipe.tokenizer ? 'tokenizer.source: base' : 'tokenizer_source: base';
  const remove = `or remove ${recipe.tokenizer ? 'tokenizer' : 'tokenizer_source'} to merge embedding rows by id and copy the base model’s tokenizer files`;
  const ids = referencedModels(recipe);
  const infos = ids.map((id) => models.get(id)!);
  if (infos.some((m) => m.tokenizer === undefined)) {
    warnings.add(
      `${key}: the tokenizers were not read, so the embeddings are shown at their stored size (the merge reads them and may cut the embeddings to the tokenizer's length)`,
    );
    return undefined;
  }
  // Without a base mergekit takes an arbitrary model's tokenizer: all must then give one result.
  const bases = recipe.base_model ? [models.get(recipe.base_model)!] : infos;
  const first = bases[0]!;
  if (first.tokenizer?.kind !== 'vocab') {
    const why = first.tokenizer?.kind === 'unreadable' ? first.tokenizer.reason : 'it has no tokenizer files';
    fail(path, `${key} needs ${first.id}'s tokenizer.json, which cannot be read (${why}); ${remove}`);
  }
  const vocab = first.tokenizer.vocab;
  for (const m of infos) {
    const t = m.tokenizer!;
    if (t.kind === 'none' && m !== first) {
      warnings.add(`${m.id} has no tokenizer files; like mergekit, it is taken to share ${first.id}'s`);
      continue;
    }
    if (t.kind !== 'vocab') {
      const why = t.kind === 'unreadable' ? t.reason : 'it has no tokenizer files';
      fail(path, `${key}: ${m.id}'s tokenizer cannot be read (${why}); ${remove}`);
    }
    const diff = m === first ? undefined : vocabDifference(vocab, t.vocab);
    if (diff !== undefined) {
      fail(
        path,
        `${key}: ${m.id}'s tokenizer differs from ${first.id}'s (${diff}), so mergekit would re-index its embedding rows by token, which Merge Studio does not support yet; merge models that share ${first.id}'s tokenizer, ${remove}`,
      );
    }
  }
  const n = vocab.size;
  for (const m of infos) {
    const size = textConfig(m.config)['vocab_size'];
    const stripped = typeof size === 'number' ? beyond(vocab, size) : [];
    if (stripped.length === 0) continue;
    const [tok, id] = stripped[0]!;
    fail(
      path,
      bases.includes(m)
        ? `${key}: ${m.id}'s tokenizer has ${stripped.length} token(s) with ids ≥ its config vocab_size ${String(size)} (${JSON.stringify(tok)} = ${id}); mergekit would remove them from the tokenizer it writes, which Merge Studio cannot do yet; ${remove}`
        : `${key}: ${m.id}'s config vocab_size ${String(size)} is below its tokenizer's ids (${JSON.stringify(tok)} = ${id}), on which mergekit fails; ${remove}`,
    );
  }
  const used = new Set(vocab.values());
  let top = -1;
  for (const id of used) top = Math.max(top, id);
  if (used.size !== n || top !== n - 1) {
    fail(
      path,
      `${key}: ${first.id}'s tokenizer ids are not 0..${n - 1} (${n} tokens, ${used.size} distinct ids up to ${top}), so its rows cannot be kept as they are; ${remove}`,
    );
  }
  const rows = embeddingRows(first);
  const size = textConfig(first.config)['vocab_size'];
  const changes = [
    ...(rows !== undefined && rows > n ? [`embeddings cut from ${rows} to ${n} rows`] : []),
    ...(size !== n ? [`config.json vocab_size ${String(size ?? 'unset')} set to ${n}`] : []),
  ];
  if (changes.length > 0) {
    warnings.add(`${key}: ${changes.join(', ')}: the tokenizer's length, as mergekit does`);
  }
  return n;
}
