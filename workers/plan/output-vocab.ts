/**
 * The output tokenizer's vocabulary and each model's token -> row map, as mergekit's
 * tokenizer/build.py makes them (`build_tokenizer`, `build_union_tokenizer`,
 * `get_stripped_tokenizer`), on vocabularies already read (tokenizer-vocab.ts).
 *
 * - The base tokenizer (the base model's, else the first model's) is stripped of the ids ≥ its
 *   config vocab_size.
 * - `base`: that stripped tokenizer. `<model>`: that model's tokenizer as it is.
 * - `union`: the stripped base, then every other model's regular tokens it lacks (ids below that
 *   model's vocab_size) appended as added tokens (normalized, not special), then every model's
 *   added tokens it lacks, the first definition of each winning. mergekit appends regular tokens
 *   in the order of a hash map (it varies between runs); we take each model's tokens by id.
 * - The keys of `tokenizer.tokens` it lacks are appended last, as plain added tokens.
 * A new token's id is one past the largest id so far (the tokenizers library numbers new added
 * tokens from the model's vocabulary size, which is the same for vocabularies numbered 0..n-1).
 */
import type { AddedToken, TokenVocab } from './tokenizer-vocab.ts';

/** A model's vocabulary as the merge sees it: get_vocab(), its added tokens, its vocab_size. */
export interface ModelVocab {
  readonly vocab: TokenVocab;
  readonly added: readonly AddedToken[];
  /** config.json vocab_size: ids from here on have no embedding row. */
  readonly vocabSize: number;
}

export interface OutputVocab {
  /** Token text by output id (0..n-1). */
  readonly tokens: readonly string[];
  readonly ids: ReadonlyMap<string, number>;
  /** The added tokens appended to the donor's tokenizer, in id order. */
  readonly appended: readonly AddedToken[];
}

/** `m` without the ids ≥ its vocab_size (get_stripped_tokenizer). */
export function stripVocab(m: ModelVocab): ModelVocab {
  if (![...m.vocab.values()].some((id) => id >= m.vocabSize)) return m;
  return {
    vocab: new Map([...m.vocab].filter(([, id]) => id < m.vocabSize)),
    added: m.added.filter((t) => t.id < m.vocabSize),
    vocabSize: m.vocabSize,
  };
}

class Builder {
  private readonly ids = new Map<string, number>();
  private next = 0;
  readonly appended: AddedToken[] = [];

  constructor(start: TokenVocab) {
    for (const [tok, id] of start) {
      this.ids.set(tok, id);
      this.next = Math.max(this.next, id + 1);
    }
  }

  has(tok: string): boolean {
    return this.ids.has(tok);
  }

  add(t: Omit<AddedToken, 'id'>): void {
    if (this.ids.has(t.content)) return; // add_tokens keeps a token it already has
    const id = this.next++;
    this.ids.set(t.content, id);
    this.appended.push({ ...t, id });
  }

  result(): OutputVocab {
    const tokens: string[] = [];
    for (const [tok, id] of this.ids) tokens[id] = tok;
    return { tokens, ids: this.ids, appended: this.appended };
  }
}

/** A plain added token, as transformers' `add_tokens("text")` makes it. */
export const plainToken = (content: string): Omit<AddedToken, 'id'> => ({
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: true,
  special: false,
});

const byId = (v: TokenVocab): [string, number][] => [...v].sort((a, b) => a[1] - b[1]);

/**
 * The output vocabulary. `base` is the stripped base vocabulary, `others` the other models'
 * (in the recipe's order), `donor` the vocabulary for a `<model>` source.
 */
export function outputVocab(
  source: 'base' | 'union' | 'model',
  base: ModelVocab,
  others: readonly ModelVocab[],
  donor: ModelVocab | undefined,
  extraTokens: readonly string[],
): OutputVocab {
  const b = new Builder(source === 'model' ? donor!.vocab : base.vocab);
  if (source === 'union') {
    const all = [base, ...others];
    const added = new Map<string, AddedToken>();
    for (const m of all) {
      for (const t of [...m.added].sort((x, y) => x.id - y.id)) {
        if (t.id < m.vocabSize && !added.has(t.content)) added.set(t.content, t);
      }
    }
    for (const m of all) {
      for (const [tok, id] of byId(m.vocab)) {
        if (id < m.vocabSize && !added.has(tok) && !b.has(tok)) b.add(plainToken(tok));
      }
    }
    for (const { id: _id, ...t } of added.values()) b.add(t);
  }
  for (const tok of extraTokens) b.add(plainToken(tok));
  return b.result();
}

/**
 * Output id -> the model's row for that token, -1 where it lacks it. A token whose id in the
 * model is ≥ its vocab_size counts as lacking (mergekit stops there with a KeyError); `beyond`
 * collects those.
 */
export function rowMap(out: OutputVocab, m: ModelVocab, beyond: string[]): Int32Array {
  const rows = new Int32Array(out.tokens.length).fill(-1);
  for (let id = 0; id < out.tokens.length; id++) {
    const own = m.vocab.get(out.tokens[id]!);
    if (own === undefined) continue;
    if (own >= m.vocabSize) beyond.push(out.tokens[id]!);
    else rows[id] = own;
  }
  return rows;
}
