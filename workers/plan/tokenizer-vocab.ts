/**
 * A tokenizer's vocabulary as transformers' `get_vocab()` returns it for a fast tokenizer: token
 * string -> id, the model's vocabulary (a map for BPE, WordPiece and WordLevel; a list of
 * [piece, score] for Unigram, where the id is the index) with the added tokens laid over it
 * (the tokenizers library inserts them last, so an added token wins over a vocabulary entry
 * of the same text). mergekit's `tokenizer_source` builds its token -> row permutations from
 * exactly this map.
 */

export type TokenVocab = ReadonlyMap<string, number>;

/** An entry of tokenizer.json's `added_tokens` (the tokenizers library's AddedToken). */
export interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly single_word: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly normalized: boolean;
  readonly special: boolean;
}

/** What a model's tokenizer is, as far as `tokenizer_source` needs it (ModelInfo.tokenizer). */
export type TokenizerInfo =
  | {
      readonly kind: 'vocab';
      /** get_vocab(): the model's vocabulary with the added tokens laid over it. */
      readonly vocab: TokenVocab;
      /** tokenizer.json's added_tokens, in file order (each content once, its last flags). */
      readonly added: readonly AddedToken[];
      /** model.type (BPE, Unigram, WordPiece, WordLevel). */
      readonly modelType: string;
      /**
       * The model vocabulary's size without the added tokens (transformers' `tokenizer.vocab_size`),
       * which mergekit's union takes when config.json has no vocab_size.
       */
      readonly modelSize: number;
    }
  /** No tokenizer files at all: mergekit then assumes the base's tokenizer. */
  | { readonly kind: 'none' }
  /** Tokenizer files we cannot read (no tokenizer.json, or a malformed one). */
  | { readonly kind: 'unreadable'; readonly reason: string };

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

const isId = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

const bad = (reason: string): TokenizerInfo => ({ kind: 'unreadable', reason });

/** How much of a token's text a message shows: tokenizer files are untrusted and unbounded. */
const QUOTE_CHARS = 64;

/**
 * A token's text for a message: JSON-quoted (so whitespace and control characters show) and cut
 * to its first 64 characters, never between the halves of a surrogate pair.
 */
export function quoteToken(text: string): string {
  if (text.length <= QUOTE_CHARS) return JSON.stringify(text);
  const cut = /[\ud800-\udbff]/.test(text[QUOTE_CHARS - 1]!) ? QUOTE_CHARS - 1 : QUOTE_CHARS;
  return `${JSON.stringify(text.slice(0, cut))}… (${text.length} characters)`;
}

interface ModelVocabulary {
  /** token -> id, the added tokens to be laid over it. */
  readonly vocab: Map<string, number>;
  /** id -> token. */
  readonly owner: Map<number, string>;
}

/** tokenizer.json's model.type for a message: short names as they are, anything else quoted. */
export function modelTypeName(type: unknown): string {
  if (typeof type !== 'string') return type === undefined ? 'of no type' : `of type ${typeof type}`;
  return /^[A-Za-z]{1,32}$/.test(type) ? type : quoteToken(type);
}

/**
 * The model vocabulary of tokenizer.json: a map (BPE, WordPiece, WordLevel) or Unigram's list of
 * [piece, score], where the id is the index. Each id once.
 */
function modelVocab(model: Record<string, unknown>): ModelVocabulary | string {
  const vocab = new Map<string, number>();
  const owner = new Map<number, string>();
  const raw = model['vocab'];
  const put = (token: string, id: number): string | undefined => {
    const other = owner.get(id);
    if (other !== undefined) {
      return `tokenizer.json model.vocab gives the id ${id} to both ${quoteToken(other)} and ${quoteToken(token)}`;
    }
    if (vocab.has(token)) return `tokenizer.json model.vocab lists ${quoteToken(token)} twice`;
    owner.set(id, token);
    vocab.set(token, id);
    return undefined;
  };
  if (Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i++) {
      const entry: unknown = raw[i];
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') {
        return `tokenizer.json model.vocab[${i}] is not a [piece, score] pair`;
      }
      const problem = put(entry[0], i);
      if (problem) return problem;
    }
  } else if (isObj(raw)) {
    // for-in, not Object.entries: a 150k-token vocabulary need not become 150k pairs first
    for (const token in raw) {
      const id = raw[token];
      if (!isId(id)) return `tokenizer.json gives token ${quoteToken(token)} the id ${String(id)}`;
      const problem = put(token, id);
      if (problem) return problem;
    }
  } else {
    return `tokenizer.json has no model.vocab (model type ${modelTypeName(model['type'])})`;
  }
  return { vocab, owner };
}

/**
 * The vocabulary of a parsed tokenizer.json, or why it cannot be read.
 *
 * The tokenizers library does not take the ids of `added_tokens` from the file: loading it adds
 * them in file order, an entry whose text is in the model vocabulary at that entry's id, any
 * other at the next id from the model vocabulary's size (added_vocabulary.rs, `add_tokens`),
 * and a later entry with the same text only replaces the flags. A file saved by the library
 * always agrees with that; one whose ids do not (two texts on one id, one text on two ids, ids
 * out of sequence) gets other ids than it says, so it is refused here with what is wrong, rather
 * than merged by ids that transformers would not use.
 */
export function tokenizerInfoFromJson(json: unknown): TokenizerInfo {
  if (!isObj(json) || !isObj(json['model'])) return bad('tokenizer.json has no "model" object');
  const model = json['model'];
  const own = modelVocab(model);
  if (typeof own === 'string') return bad(own);
  const { vocab, owner: idOwner } = own;
  // Stripping a BPE tokenizer rewrites its merges (workers/engine/tokenizer-files.ts), after the
  // weights: what it could not read must stop the merge here, before them.
  const merges = model['merges'];
  if (model['type'] === 'BPE' && merges !== undefined) {
    if (!Array.isArray(merges)) return bad('tokenizer.json model.merges is not a list');
    const i = merges.findIndex((m) => typeof m !== 'string' && !Array.isArray(m));
    if (i >= 0) return bad(`tokenizer.json model.merges[${i}] is neither "a b" nor ["a", "b"]`);
  }
  const modelSize = vocab.size;
  const added = json['added_tokens'] ?? [];
  if (!Array.isArray(added)) return bad('tokenizer.json added_tokens is not a list');
  const tokens = new Map<string, AddedToken>();
  let next = modelSize;
  const fix = 'fix tokenizer.json (transformers would renumber it) or save it again with transformers';
  for (const [i, t] of added.entries()) {
    if (!isObj(t) || typeof t['content'] !== 'string' || !isId(t['id'])) {
      return bad(`tokenizer.json added_tokens[${i}] has no content and id`);
    }
    const content = t['content'];
    const id = t['id'];
    if (content === '') continue; // add_tokens skips empty tokens
    const flag = (k: string, dflt: boolean): boolean =>
      typeof t[k] === 'boolean' ? (t[k] as boolean) : dflt;
    const special = flag('special', false);
    const token: AddedToken = {
      id,
      content,
      single_word: flag('single_word', false),
      lstrip: flag('lstrip', false),
      rstrip: flag('rstrip', false),
      normalized: flag('normalized', !special),
      special,
    };
    const known = vocab.get(content);
    const expected = known ?? next;
    if (id !== expected) {
      const why =
        known === undefined
          ? `the next id after the model vocabulary's ${modelSize} tokens and the added tokens before it is ${expected}`
          : tokens.has(content)
            ? `an earlier added token has it at ${known}`
            : `model.vocab has it at ${known}`;
      return bad(
        `tokenizer.json added_tokens[${i}] ${quoteToken(content)} has the id ${id}, but ${why}; ${fix}`,
      );
    }
    const other = idOwner.get(id);
    if (other !== undefined && other !== content) {
      return bad(
        `tokenizer.json added_tokens[${i}] ${quoteToken(content)} has the id ${id}, which belongs to ${quoteToken(other)}; ${fix}`,
      );
    }
    if (known === undefined) next++;
    idOwner.set(id, content);
    vocab.set(content, id);
    tokens.set(content, token); // a later entry with the same text replaces the flags
  }
  return {
    kind: 'vocab',
    vocab,
    added: [...tokens.values()],
    modelType: typeof model['type'] === 'string' ? model['type'] : '',
    modelSize,
  };
}

/** The first way `a` and `b` differ, in words, or undefined when they are the same map. */
export function vocabDifference(a: TokenVocab, b: TokenVocab): string | undefined {
  for (const [token, id] of a) {
    const other = b.get(token);
    if (other === undefined) return `token ${quoteToken(token)} (id ${id}) is missing`;
    if (other !== id) return `token ${quoteToken(token)} has id ${other}, not ${id}`;
  }
  for (const [token, id] of b) {
    if (!a.has(token)) return `it has an extra token ${quoteToken(token)} (id ${id})`;
  }
  return undefined;
}
