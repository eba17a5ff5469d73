/**
 * The output tokenizer's files after mergekit's tokenizer operations, as transformers'
 * `save_pretrained` would leave them: tokens at or past the model's vocabulary size stripped
 * (mergekit's `get_stripped_tokenizer`), new added tokens appended (`add_tokens`, ids chosen by the
 * planner), a chat template set. Pure text in, text out; nothing here reads or writes files.
 *
 * Where we differ from a transformers save, on purpose:
 * - tokenizer_config.json keeps the donor's keys, order and values (transformers rewrites it from
 *   the loaded tokenizer's state with sorted keys); only `added_tokens_decoder` and
 *   `chat_template` change.
 * - The chat template goes into tokenizer_config.json's `chat_template` key, which every
 *   transformers release with chat templates reads; when the donor has a chat_template.jinja
 *   (which recent transformers reads instead of the key, and writes instead of it), that file gets
 *   the same text. chat_template.json (a processor's template) is dropped, as mergekit does.
 * - tokenizer.json keeps the donor's key order and merges format; an object vocabulary is written
 *   in id order, as the tokenizers library writes it.
 */
import { modelTypeName, quoteToken, type AddedToken } from '../plan/tokenizer-vocab.ts';

export class TokenizerRewriteError extends Error {
  override readonly name: string = 'TokenizerRewriteError';
}

export interface TokenizerRewriteInput {
  /** The donor's tokenizer.json text; without one only a chat template can be set. */
  readonly tokenizerJson?: string | undefined;
  /** The donor's tokenizer_config.json text, when it has one. */
  readonly tokenizerConfig?: string | undefined;
  /** The donor's chat_template.jinja text, when it has one (only whether it has one matters). */
  readonly chatTemplateJinja?: string | undefined;
  /** Remove every token whose id is at least this (BPE only). */
  readonly stripFrom?: number | undefined;
  /** Added tokens to add after stripping, ids already chosen. */
  readonly append?: readonly AddedToken[] | undefined;
  /** The chat template to set (already resolved, see chat-templates.ts). */
  readonly chatTemplate?: string | undefined;
}

export type RewrittenFile = 'tokenizer.json' | 'tokenizer_config.json' | 'chat_template.jinja';

export interface TokenizerRewrite {
  /**
   * The files to write instead of the donor's: tokenizer_config.json always (a minimal one when
   * the donor has none, see `rewriteTokenizer`), tokenizer.json when its tokens changed (a chat
   * template alone leaves it to be copied as it is), chat_template.jinja when a template is set
   * and the donor has that file.
   */
  readonly files: Readonly<Partial<Record<RewrittenFile, string>>>;
  /** Donor files now stale, not to be copied (names the donor may not have; none is in `files`). */
  readonly dropFiles: readonly string[];
  /** What stripping removed, and how many appended tokens were new or changed. */
  readonly removed: { readonly addedTokens: number; readonly vocab: number; readonly merges: number };
  readonly appended: number;
}

/** The slow-tokenizer vocabulary files that hold the model vocabulary tokenizer.json also holds. */
const SLOW_VOCAB_FILES = [
  'tokenizer.model',
  'vocab.json',
  'merges.txt',
  'vocab.txt',
  'spiece.model',
  'sentencepiece.bpe.model',
] as const;

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isId = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

function parseObject(text: string, file: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new TokenizerRewriteError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(v)) throw new TokenizerRewriteError(`${file} is not a JSON object`);
  return v;
}

/**
 * The rewritten files, or undefined when nothing changes (nothing at or past `stripFrom`, no
 * new or changed appended token, no chat template): then the donor's files are copied as they are.
 *
 * tokenizer_config.json: the donor's, with `added_tokens_decoder` listing exactly the new
 * tokenizer.json's added tokens (transformers always writes it, keys in id order, each entry's
 * keys sorted), and `chat_template` when one is given. Without a donor config, a minimal one with
 * just those keys: no `tokenizer_class`, so transformers still picks the class from config.json
 * as it does for a model without a tokenizer config.
 */
export function rewriteTokenizer(input: TokenizerRewriteInput): TokenizerRewrite | undefined {
  if (input.tokenizerJson === undefined) return rewriteConfigOnly(input);
  const tok = parseObject(input.tokenizerJson, 'tokenizer.json');
  const model = tok['model'];
  if (!isObj(model)) throw new TokenizerRewriteError('tokenizer.json has no "model" object');
  const rawAdded = tok['added_tokens'] ?? [];
  if (!Array.isArray(rawAdded)) throw new TokenizerRewriteError('tokenizer.json added_tokens is not a list');
  let added: Json[] = rawAdded.map((t: unknown, i) => {
    if (!isObj(t) || typeof t['content'] !== 'string' || !isId(t['id'])) {
      throw new TokenizerRewriteError(`tokenizer.json added_tokens[${i}] has no content and id`);
    }
    return t;
  });
  const vocab = model['vocab'];
  // token -> id of the model vocabulary: a map (BPE, WordPiece, WordLevel) or Unigram's list of
  // [piece, score], where the id is the index. Only a map is rewritten.
  const vocabIsMap = isObj(vocab);
  let vocabEntries = vocabIsMap ? mapEntries(vocab) : listEntries(vocab);

  // 1. Strip (mergekit's get_stripped_tokenizer).
  const removed = { addedTokens: 0, vocab: 0, merges: 0 };
  if (input.stripFrom !== undefined) {
    const unused = unusedTokens(vocabEntries, added, input.stripFrom);
    if (unused.size > 0) {
      if (model['type'] !== 'BPE' || !vocabIsMap) {
        throw new TokenizerRewriteError(
          `the tokenizer has ${unused.size} tokens with ids of ${input.stripFrom} or more, past the model's ` +
            `vocabulary, and they can be removed only from a BPE tokenizer, not a ${modelTypeName(model['type'])} one ` +
            '(mergekit refuses it too); use a tokenizer source without such tokens',
        );
      }
      const stripFrom = input.stripFrom;
      const keptAdded = added.filter((t) => (t['id'] as number) < stripFrom);
      removed.addedTokens = added.length - keptAdded.length;
      added = keptAdded;
      const keptVocab = vocabEntries.filter(([content]) => !unused.has(content));
      removed.vocab = vocabEntries.length - keptVocab.length;
      vocabEntries = keptVocab;
      const merges = model['merges'] ?? [];
      if (!Array.isArray(merges))
        throw new TokenizerRewriteError('tokenizer.json model.merges is not a list');
      const keptMerges = merges.filter((m, i) =>
        mergeParts(m, i).every((p) => typeof p !== 'string' || !unused.has(p)),
      );
      removed.merges = merges.length - keptMerges.length;
      if (removed.merges > 0) model['merges'] = keptMerges;
    }
  }

  // 2. Append (the tokenizers library's add_tokens, ids given).
  const appended = appendTokens(added, vocabEntries, input.append ?? []);
  added = appended.tokens;

  const vocabChanged = removed.vocab > 0 || removed.merges > 0;
  const addedChanged = vocabChanged || removed.addedTokens > 0 || appended.count > 0;
  if (!addedChanged && input.chatTemplate === undefined) return undefined;

  // The tokenizers library writes added tokens in id order.
  added.sort((a, b) => (a['id'] as number) - (b['id'] as number));
  const files: Partial<Record<RewrittenFile, string>> = {};
  if (addedChanged) {
    if ('added_tokens' in tok || added.length > 0) tok['added_tokens'] = added;
    files['tokenizer.json'] = serializeTokenizer(tok, model, vocabIsMap ? vocabEntries : undefined);
  }

  const config = donorConfig(input);
  config['added_tokens_decoder'] = addedTokensDecoder(added);

  const dropFiles: string[] = [];
  // A stale added_tokens.json would be read back over the config's added_tokens_decoder.
  if (addedChanged) dropFiles.push('added_tokens.json');
  // The slow files hold the model vocabulary; they stay right when only added tokens change.
  if (vocabChanged) dropFiles.push(...SLOW_VOCAB_FILES);
  return {
    ...withChatTemplate(input, config, files, dropFiles),
    removed,
    appended: appended.count,
  };
}

/** A donor without tokenizer.json (a slow tokenizer only): its config can still get a chat template. */
function rewriteConfigOnly(input: TokenizerRewriteInput): TokenizerRewrite | undefined {
  if (input.stripFrom !== undefined || (input.append?.length ?? 0) > 0) {
    throw new TokenizerRewriteError(
      'the tokenizer has no tokenizer.json, so its vocabulary cannot be changed (mergekit needs a fast tokenizer too)',
    );
  }
  if (input.chatTemplate === undefined) return undefined;
  return {
    ...withChatTemplate(input, donorConfig(input), {}, []),
    removed: { addedTokens: 0, vocab: 0, merges: 0 },
    appended: 0,
  };
}

const donorConfig = (input: TokenizerRewriteInput): Json =>
  input.tokenizerConfig === undefined ? {} : parseObject(input.tokenizerConfig, 'tokenizer_config.json');

/** The config written out, and the chat template set where the donor keeps it. */
function withChatTemplate(
  input: TokenizerRewriteInput,
  config: Json,
  files: Partial<Record<RewrittenFile, string>>,
  dropFiles: string[],
): Pick<TokenizerRewrite, 'files' | 'dropFiles'> {
  const template = input.chatTemplate;
  if (template !== undefined) {
    config['chat_template'] = template;
    if (input.chatTemplateJinja !== undefined) files['chat_template.jinja'] = template;
    else dropFiles.push('chat_template.jinja');
    dropFiles.push('chat_template.json');
  }
  files['tokenizer_config.json'] = `${JSON.stringify(config, null, 2)}\n`;
  return { files, dropFiles };
}

function mapEntries(vocab: Json): [string, number][] {
  const entries = Object.entries(vocab);
  for (const [content, id] of entries) {
    if (!isId(id)) {
      throw new TokenizerRewriteError(
        `tokenizer.json gives token ${quoteToken(content)} the id ${typeof id === 'number' ? id : typeof id}`,
      );
    }
  }
  return entries as [string, number][];
}

function listEntries(vocab: unknown): [string, number][] {
  if (vocab === undefined) return [];
  if (!Array.isArray(vocab))
    throw new TokenizerRewriteError('tokenizer.json model.vocab is neither a map nor a list');
  return vocab.map((e, i): [string, number] => {
    if (!Array.isArray(e) || typeof e[0] !== 'string') {
      throw new TokenizerRewriteError(`tokenizer.json model.vocab[${i}] is not a [piece, score] pair`);
    }
    return [e[0], i];
  });
}

/**
 * The tokens `get_vocab()` maps to an id of `stripFrom` or more: the model vocabulary with the
 * added tokens laid over it. mergekit then deletes these strings from the model vocabulary and
 * its merges, so a vocabulary entry under the limit whose text is an added token over it goes too.
 */
function unusedTokens(
  vocabEntries: readonly [string, number][],
  added: readonly Json[],
  stripFrom: number,
): Set<string> {
  const overlay = new Map<string, number>(vocabEntries);
  for (const t of added) overlay.set(t['content'] as string, t['id'] as number);
  const unused = new Set<string>();
  for (const [content, id] of overlay) if (id >= stripFrom) unused.add(content);
  return unused;
}

/** The two tokens of a merge: "a b" (mergekit splits on every space) or ["a", "b"]. */
function mergeParts(m: unknown, i: number): readonly unknown[] {
  if (typeof m === 'string') return m.split(' ');
  if (Array.isArray(m)) return m;
  throw new TokenizerRewriteError(`tokenizer.json model.merges[${i}] is neither "a b" nor ["a", "b"]`);
}

/**
 * `added` with `append` added as the tokenizers library's add_tokens would, checking the planner's
 * ids: a token already added keeps its id (its flags are replaced), one in the model vocabulary
 * becomes an added token at its vocabulary id, a new one needs an id nothing else has.
 */
function appendTokens(
  added: Json[],
  vocabEntries: readonly [string, number][],
  append: readonly AddedToken[],
): { tokens: Json[]; count: number } {
  if (append.length === 0) return { tokens: added, count: 0 };
  const tokens = [...added];
  const slotByContent = new Map<string, number>();
  const contentById = new Map<number, string>();
  for (const [content, id] of vocabEntries) contentById.set(id, content);
  const vocabId = new Map(vocabEntries);
  tokens.forEach((t, i) => {
    slotByContent.set(t['content'] as string, i);
    contentById.set(t['id'] as number, t['content'] as string);
  });
  let count = 0;
  for (const a of append) {
    if (a.content === '' || !isId(a.id)) {
      throw new TokenizerRewriteError(`cannot add token ${quoteToken(a.content)} with id ${a.id}`);
    }
    const entry: Json = {
      id: a.id,
      content: a.content,
      single_word: a.single_word,
      lstrip: a.lstrip,
      rstrip: a.rstrip,
      normalized: a.normalized,
      special: a.special,
    };
    const slot = slotByContent.get(a.content);
    const current = slot === undefined ? undefined : tokens[slot];
    const expected = current !== undefined ? (current['id'] as number) : vocabId.get(a.content);
    if (expected !== undefined && expected !== a.id) {
      throw new TokenizerRewriteError(
        `token ${quoteToken(a.content)} already has the id ${expected} in the tokenizer, not ${a.id}`,
      );
    }
    if (expected === undefined && contentById.has(a.id)) {
      throw new TokenizerRewriteError(
        `cannot add token ${quoteToken(a.content)} with id ${a.id}: ` +
          `the tokenizer already has ${quoteToken(contentById.get(a.id)!)} there`,
      );
    }
    if (current !== undefined && slot !== undefined) {
      if (sameToken(current, entry)) continue;
      tokens[slot] = entry;
    } else {
      slotByContent.set(a.content, tokens.length);
      contentById.set(a.id, a.content);
      tokens.push(entry);
    }
    count++;
  }
  return { tokens, count };
}

const FLAGS = ['single_word', 'lstrip', 'rstrip', 'normalized', 'special'] as const;
const sameToken = (a: Json, b: Json): boolean =>
  a['id'] === b['id'] && a['content'] === b['content'] && FLAGS.every((f) => a[f] === b[f]);

/** transformers' `added_tokens_decoder`: id -> AddedToken state, keys sorted as json.dumps(sort_keys=True). */
function addedTokensDecoder(added: readonly Json[]): Json {
  const decoder: Json = {};
  // Integer-like keys iterate in ascending order in JS, which is the id order transformers writes.
  for (const t of added) {
    decoder[String(t['id'])] = {
      content: t['content'],
      lstrip: t['lstrip'] ?? false,
      normalized: t['normalized'] ?? true,
      rstrip: t['rstrip'] ?? false,
      single_word: t['single_word'] ?? false,
      special: t['special'] ?? false,
    };
  }
  return decoder;
}

/**
 * tokenizer.json as 2-space JSON. An object vocabulary is written by hand in id order: a JS
 * object would move integer-like tokens ("1", "42") to the front and lose the file's order.
 */
function serializeTokenizer(tok: Json, model: Json, vocabEntries: [string, number][] | undefined): string {
  if (vocabEntries === undefined) return JSON.stringify(tok, null, 2);
  const slot = '\u0000merge-studio vocab\u0000';
  model['vocab'] = slot;
  const text = JSON.stringify(tok, null, 2);
  const quoted = JSON.stringify(slot);
  const at = text.indexOf(quoted);
  if (at < 0 || text.indexOf(quoted, at + 1) >= 0) {
    throw new TokenizerRewriteError(
      'tokenizer.json holds a string this writer reserves; it cannot rewrite it',
    );
  }
  const indent = /^ */.exec(text.slice(text.lastIndexOf('\n', at) + 1))?.[0] ?? '';
  const sorted = vocabEntries.slice().sort((a, b) => a[1] - b[1]);
  const body =
    sorted.length === 0
      ? '{}'
      : `{\n${sorted.map(([k, id]) => `${indent}  ${JSON.stringify(k)}: ${id}`).join(',\n')}\n${indent}}`;
  return text.slice(0, at) + body + text.slice(at + quoted.length);
}
