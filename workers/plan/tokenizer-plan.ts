/**
 * mergekit's tokenizer merging (`tokenizer_source:` / `tokenizer:`; tokenizer/build.py,
 * tokenizer/embed.py, merge.py), planned before any tensor data is read:
 *
 * 1. the output vocabulary (output-vocab.ts): the stripped base tokenizer, one model's, or the
 *    union of every model's tokens, plus the keys of `tokenizer.tokens`;
 * 2. per model, output id -> its own row (-1 where it lacks the token);
 * 3. per token some model lacks (or with `force`), where its row comes from
 *    (embeddingDefaults, per tensor, from the models of that tensor);
 * 4. the rows every embedding-like tensor gets: the vocabulary's length, padded up to
 *    `pad_to_multiple_of` (padding rows are each model's mean row), which is also config.json's
 *    vocab_size;
 * 5. what the output's tokenizer files need: the donor, the ids to strip, the tokens to append.
 *
 * When every model of a tensor already has every token at its own id (one shared tokenizer,
 * nothing padded or forced), step 3 is empty and the rows are only cut to the vocabulary's
 * length: the planner then crops instead of rebuilding (build-plan.ts).
 */
import { isEmbedName, isTiedHeadName, type ModelInfo } from './architecture.ts';
import { textConfig } from './output-config.ts';
import { type ModelVocab, outputVocab, rowMap, stripVocab } from './output-vocab.ts';
import { RecipeError, type YamlPath } from './problems.ts';
import { referencedModels, tokenizerSource, type Recipe, type TokenEmbeddingConfig } from './recipe.ts';
import { modelTypeName, quoteToken, type AddedToken } from './tokenizer-vocab.ts';
import { ruleSlices } from './validate-rules.ts';

/** Where a token's row comes from when a model lacks it (or `force` is set). */
export interface RowDefault {
  readonly id: number;
  /** Use it even in models that have the token. */
  readonly force: boolean;
  /** The rows to average (one: a copy; none: zeros), each a model's own row. */
  readonly from: readonly { readonly model: string; readonly row: number }[];
}

/** What the output's tokenizer files are made from (workers/engine/metadata-files.ts). */
export interface TokenizerFilesPlan {
  /** The model whose tokenizer files are copied and, if need be, rewritten. */
  readonly donor: string;
  /** Remove the tokens with ids from here on (the stripped base tokenizer). */
  readonly stripFrom?: number;
  /**
   * Added tokens to write into the donor's tokenizer: new ones, and tokens it has that take
   * another model's added-token definition (`union`), at their ids.
   */
  readonly append: readonly AddedToken[];
}

export interface TokenizerPlan {
  /** The output tokenizer's length. */
  readonly size: number;
  /** The rows every embedding-like tensor gets (and config.json's vocab_size). */
  readonly rows: number;
  /** Per model: output id -> its own row, -1 where it lacks the token. */
  readonly ownRows: ReadonlyMap<string, Int32Array>;
  /** The output id of every token of `tokenizer.tokens`, with its source resolved per model. */
  readonly overrides: ReadonlyMap<number, ResolvedOverride>;
  readonly files: TokenizerFilesPlan;
  /** Whether a model's embedding rows are only cut (no model lacks a token, nothing forced). */
  readonly identity: boolean;
}

export interface ResolvedOverride {
  readonly token: string;
  readonly force: boolean;
  /** zero, a model's row for this token, or a model's given row. */
  readonly source:
    { readonly kind: 'zero' } | { readonly kind: 'row'; readonly model: string; readonly row: number };
}

function fail(path: YamlPath, message: string): never {
  throw new RecipeError([{ path, message, severity: 'error' }]);
}

function embeddingRows(m: ModelInfo): number | undefined {
  for (const [name, t] of m.tensors) {
    if (isEmbedName(name) && !isTiedHeadName(name) && t.shape.length === 2) return t.shape[0];
  }
  return undefined;
}

/** config.json vocab_size; mergekit's `get_vocab_size(...) or <fallback>` also falls back on 0. */
const configVocab = (m: ModelInfo): number | undefined => {
  const v = textConfig(m.config)['vocab_size'];
  return Number.isInteger(v) && (v as number) > 0 ? (v as number) : undefined;
};

/**
 * The model mergekit takes the base tokenizer from: base_model, else `referenced_models()[0]`,
 * the first of a Python set (its order changes between runs). We take the model the output's
 * config comes from (build-plan.ts's donor), so config and tokenizer come from one model, as in
 * mergekit.
 */
function baseTokenizerModel(recipe: Recipe): string | undefined {
  return recipe.base_model ?? ruleSlices(recipe)[0]?.sources[0]?.model;
}

/**
 * The tokenizer plan, or undefined when the recipe asks for no tokenizer handling (or the
 * tokenizers were not read: then a warning says so). Throws a RecipeError, pointing at the
 * recipe's tokenizer key, for what cannot be done.
 */
export function planTokenizer(
  recipe: Recipe,
  models: ReadonlyMap<string, ModelInfo>,
  warnings: Set<string>,
): TokenizerPlan | undefined {
  const source = tokenizerSource(recipe);
  if (source === undefined) return undefined;
  const path: YamlPath = recipe.tokenizer ? ['tokenizer', 'source'] : ['tokenizer_source'];
  const key = `${recipe.tokenizer ? 'tokenizer.source' : 'tokenizer_source'}: ${source}`;
  const remove = `or remove ${recipe.tokenizer ? 'tokenizer' : 'tokenizer_source'} to merge embedding rows by id and copy the base model’s tokenizer files`;
  const ids = referencedModels(recipe);
  const infos = ids.map((id) => models.get(id)!);
  if (infos.some((m) => m.tokenizer === undefined)) {
    warnings.add(
      `${key}: the tokenizers were not read, so the embeddings are shown at their stored size (the merge reads them and may change the embeddings' rows)`,
    );
    return undefined;
  }
  const named = source !== 'base' && source !== 'union' ? source : undefined;
  if (named !== undefined && !ids.includes(named)) {
    fail(path, `${key}: ${named} is not one of the recipe's models; name one of ${ids.join(', ')}`);
  }
  const vocabOf = (m: ModelInfo, what: string): ModelVocab | undefined => {
    const t = m.tokenizer!;
    if (t.kind === 'none') return undefined;
    if (t.kind !== 'vocab') fail(path, `${key}: ${m.id}'s tokenizer cannot be read (${t.reason}); ${remove}`);
    const config = configVocab(m);
    const vocabSize = config ?? t.vocab.size;
    if (what === 'base') {
      let beyond = 0;
      let first: [string, number] | undefined;
      for (const e of t.vocab) if (e[1] >= vocabSize && beyond++ === 0) first = e;
      if (first !== undefined && t.modelType !== 'BPE') {
        fail(
          path,
          `${key}: ${m.id}'s tokenizer has ${beyond} token(s) with ids ≥ its config vocab_size ${vocabSize} (${quoteToken(first[0])} = ${first[1]}), which must be removed from it, and only BPE tokenizers can be (it is ${t.modelType ? modelTypeName(t.modelType) : 'of unknown type'}; mergekit stops too); ${remove}`,
        );
      }
    }
    return { vocab: t.vocab, added: t.added, vocabSize, unionSize: config ?? t.modelSize };
  };
  const baseInfo = models.get(baseTokenizerModel(recipe) ?? ids[0]!)!;
  const rawBase = vocabOf(baseInfo, 'base');
  if (rawBase === undefined) {
    fail(path, `${key} needs ${baseInfo.id}'s tokenizer.json, and it has no tokenizer files; ${remove}`);
  }
  const base = stripVocab(rawBase);
  const vocabs = new Map<string, ModelVocab>();
  for (const m of infos) {
    const v = m === baseInfo ? base : vocabOf(m, 'model');
    if (v === undefined) {
      warnings.add(`${m.id} has no tokenizer files; like mergekit, it is taken to share ${baseInfo.id}'s`);
      const size = configVocab(m) ?? base.vocab.size;
      vocabs.set(m.id, { ...base, vocabSize: size, unionSize: size });
    } else vocabs.set(m.id, v);
  }
  const donorVocab = named !== undefined ? vocabOf(models.get(named)!, 'model') : undefined;
  if (named !== undefined && donorVocab === undefined) {
    fail(path, `${key}: ${named} has no tokenizer files to take the tokenizer from; ${remove}`);
  }
  const configTokens = { ...recipe.tokenizer?.tokens };
  if (Object.hasOwn(configTokens, '')) {
    // mergekit's add_tokens("") adds nothing, so the key matches no token and is never used.
    delete configTokens[''];
    warnings.add(`${key}: tokens: the empty token "" is ignored, as mergekit does (it cannot be a token)`);
  }
  const out = outputVocab(
    named !== undefined ? 'model' : source === 'union' ? 'union' : 'base',
    base,
    infos.filter((m) => m !== baseInfo && m.tokenizer?.kind === 'vocab').map((m) => vocabs.get(m.id)!),
    donorVocab,
    Object.keys(configTokens),
  );
  const size = out.tokens.length;
  const hole = out.tokens.findIndex((t) => t === undefined);
  if (hole >= 0 || out.ids.size !== size) {
    const donorId = named ?? baseInfo.id;
    fail(
      path,
      `${key}: ${donorId}'s tokenizer numbers its ${out.ids.size} tokens up to ${size - 1}, ${hole >= 0 ? `with no token at id ${hole}` : 'two of them on one id'}, so the merged embeddings' rows cannot be laid out (transformers would index past them too); ${remove}`,
    );
  }
  const ownRows = new Map<string, Int32Array>();
  for (const m of infos) {
    const beyond: string[] = [];
    ownRows.set(m.id, rowMap(out, vocabs.get(m.id)!, beyond));
    if (beyond.length > 0) {
      warnings.add(
        `${key}: ${m.id} has ${beyond.length} token(s) of the output tokenizer only at ids ≥ its vocab_size ${vocabs.get(m.id)!.vocabSize} (${quoteToken(beyond[0]!)}); they are treated as missing from it (mergekit stops with a KeyError)`,
      );
    }
  }
  const overrides = resolveOverrides(configTokens, out.ids, ownRows, vocabs, ids);
  const pad = recipe.tokenizer?.pad_to_multiple_of;
  const rows = pad && size % pad ? (Math.floor(size / pad) + 1) * pad : size;
  const identity =
    rows === size &&
    overrides.size === 0 &&
    [...ownRows.values()].every((r) => r.every((row, id) => row === id));
  const files: TokenizerFilesPlan = {
    donor: named ?? baseInfo.id,
    ...(named === undefined && base !== rawBase && { stripFrom: base.vocabSize }),
    append: out.appended,
  };
  const stored = embeddingRows(baseInfo);
  const changes = [
    ...(named === undefined && base !== rawBase
      ? [
          `${baseInfo.id}'s tokenizer stripped of ${rawBase.vocab.size - base.vocab.size} token(s) with ids ≥ its vocab_size ${base.vocabSize}`,
        ]
      : []),
    ...(out.added > 0 ? [`${out.added} token(s) added to the tokenizer`] : []),
    ...(out.appended.length > out.added
      ? [`${out.appended.length - out.added} token(s) it has made added tokens as another model defines them`]
      : []),
    ...(stored !== undefined && stored !== rows
      ? [`embeddings ${stored > rows ? 'cut' : 'grown'} from ${stored} to ${rows} rows`]
      : []),
    ...(configVocab(baseInfo) !== rows
      ? [`config.json vocab_size ${String(configVocab(baseInfo) ?? 'unset')} set to ${rows}`]
      : []),
  ];
  if (changes.length > 0) warnings.add(`${key}: ${changes.join(', ')}, as mergekit does`);
  return { size, rows, ownRows, overrides, files, identity };
}

function resolveOverrides(
  tokens: Readonly<Record<string, TokenEmbeddingConfig>>,
  outIds: ReadonlyMap<string, number>,
  ownRows: ReadonlyMap<string, Int32Array>,
  vocabs: ReadonlyMap<string, ModelVocab>,
  ids: readonly string[],
): Map<number, ResolvedOverride> {
  const res = new Map<number, ResolvedOverride>();
  for (const [token, cfg] of Object.entries(tokens)) {
    const at: YamlPath = ['tokenizer', 'tokens', token, 'source'];
    const id = outIds.get(token)!;
    const force = cfg.force === true;
    const src = cfg.source;
    const model = typeof src === 'string' ? src : src.kind === 'model_token' ? src.model : undefined;
    if (model !== undefined && !ownRows.has(model)) {
      fail(at, `${model} is not one of the recipe's models; name one of ${ids.join(', ')}`);
    }
    if (typeof src === 'string') {
      const row = ownRows.get(src)![id]!;
      if (row < 0)
        fail(
          at,
          `${src} has no token ${quoteToken(token)} (mergekit stops with "Token ... not found in model")`,
        );
      res.set(id, { token, force, source: { kind: 'row', model: src, row } });
    } else if (src.kind === 'zero') {
      res.set(id, { token, force, source: { kind: 'zero' } });
    } else {
      const v = vocabs.get(src.model)!;
      const row = src.token_id ?? v.vocab.get(src.token!);
      if (row === undefined) {
        fail(
          at,
          `${src.model} has no token ${quoteToken(src.token!)} (mergekit stops with "Token ... not found in model")`,
        );
      }
      res.set(id, { token, force, source: { kind: 'row', model: src.model, row } });
    }
  }
  return res;
}

/**
 * Per output id that needs one, where its row comes from, for a tensor merged from `models`
 * (mergekit's PermutedEmbeddings.assign_embedding_sources and the token configs): a token in
 * only one model takes that model's row; in none, zeros; else the base's, when the base has
 * it; else the average of the models that have it.
 */
export function embeddingDefaults(
  plan: TokenizerPlan,
  models: readonly string[],
  base: string | undefined,
  /** Collects the ids no model of the tensor has (their rows are zeros). */
  missing: Set<number>,
): RowDefault[] {
  const own = models.map((m) => plan.ownRows.get(m)!);
  const res: RowDefault[] = [];
  for (let id = 0; id < plan.size; id++) {
    const o = plan.overrides.get(id);
    let all = true;
    for (let k = 0; all && k < models.length; k++) all = own[k]![id]! >= 0;
    if (o) {
      if (!o.force && all) continue;
      const src = o.source;
      res.push({ id, force: o.force, from: src.kind === 'zero' ? [] : [{ model: src.model, row: src.row }] });
      continue;
    }
    if (all) continue; // the common case: no array for it
    const present: number[] = [];
    for (let k = 0; k < models.length; k++) if (own[k]![id]! >= 0) present.push(k);
    const row = (k: number): { model: string; row: number } => ({ model: models[k]!, row: own[k]![id]! });
    let from: { model: string; row: number }[];
    if (present.length <= 1) from = present.map(row);
    else {
      const b = base === undefined ? -1 : models.indexOf(base);
      from = b >= 0 && own[b]![id]! >= 0 ? [row(b)] : present.map(row);
    }
    if (present.length === 0) {
      missing.add(id);
    }
    res.push({ id, force: false, from });
  }
  return res;
}
