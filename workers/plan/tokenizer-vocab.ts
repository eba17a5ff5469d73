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
      /** tokenizer.json's added_tokens, in file order. */
      readonly added: readonly AddedToken[];
      /** model.type (BPE, Unigram, WordPiece, WordLevel). */
      readonly modelType: string;
    }
  /** No tokenizer files at all: mergekit then assumes the base's tokenizer. */
  | { readonly kind: 'none' }
  /** Tokenizer files we cannot read (no tokenizer.json, or a malformed one). */
  | { readonly kind: 'unreadable'; readonly reason: string };

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

const isId = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

const bad = (reason: string): TokenizerInfo => ({ kind: 'unreadable', reason });

/** The vocabulary of a parsed tokenizer.json, or why it cannot be read. */
export function tokenizerInfoFromJson(json: unknown): TokenizerInfo {
  if (!isObj(json) || !isObj(json['model'])) return bad('tokenizer.json has no "model" object');
  const model = json['model'];
  const vocab = new Map<string, number>();
  const raw = model['vocab'];
  if (Array.isArray(raw)) {
    for (const [i, entry] of raw.entries()) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') {
        return bad(`tokenizer.json model.vocab[${i}] is not a [piece, score] pair`);
      }
      vocab.set(entry[0], i);
    }
  } else if (isObj(raw)) {
    for (const [token, id] of Object.entries(raw)) {
      if (!isId(id)) return bad(`tokenizer.json gives token ${JSON.stringify(token)} the id ${String(id)}`);
      vocab.set(token, id);
    }
  } else {
    return bad(`tokenizer.json has no model.vocab (model type ${String(model['type'])})`);
  }
  const added = json['added_tokens'] ?? [];
  if (!Array.isArray(added)) return bad('tokenizer.json added_tokens is not a list');
  const tokens: AddedToken[] = [];
  for (const t of added) {
    if (!isObj(t) || typeof t['content'] !== 'string' || !isId(t['id'])) {
      return bad('tokenizer.json has an added token without a content and an id');
    }
    vocab.set(t['content'], t['id']);
    const flag = (k: string, dflt: boolean): boolean =>
      typeof t[k] === 'boolean' ? (t[k] as boolean) : dflt;
    tokens.push({
      id: t['id'],
      content: t['content'],
      single_word: flag('single_word', false),
      lstrip: flag('lstrip', false),
      rstrip: flag('rstrip', false),
      normalized: flag('normalized', !flag('special', false)),
      special: flag('special', false),
    });
  }
  return { kind: 'vocab', vocab, added: tokens, modelType: String(model['type'] ?? '') };
}

/** The first way `a` and `b` differ, in words, or undefined when they are the same map. */
export function vocabDifference(a: TokenVocab, b: TokenVocab): string | undefined {
  for (const [token, id] of a) {
    const other = b.get(token);
    if (other === undefined) return `token ${JSON.stringify(token)} (id ${id}) is missing`;
    if (other !== id) return `token ${JSON.stringify(token)} has id ${other}, not ${id}`;
  }
  for (const [token, id] of b) {
    if (!a.has(token)) return `it has an extra token ${JSON.stringify(token)} (id ${id})`;
  }
  return undefined;
}
