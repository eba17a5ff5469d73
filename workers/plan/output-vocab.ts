/**
 * The output tokenizer's vocabulary and each model's token -> row map, as mergekit's
 * tokenizer/build.py makes them (`build_tokenizer`, `build_union_tokenizer`,
 * `get_stripped_tokenizer`), on vocabularies already read (tokenizer-vocab.ts).
 *
 * - The base tokenizer is stripped of the ids ≥ its config vocab_size.
 * - `base`: that stripped tokenizer. `<model>`: that model's tokenizer as it is.
 * - `union`: the stripped base, then every other model's regular tokens it lacks appended as
 *   added tokens (normalized, not special), then every model's added tokens, the first
 *   definition of each winning, as transformers' `add_tokens` takes them: a new one is
 *   appended, one the tokenizer has as a regular token or with other flags becomes that added
 *   token at its id. A model's tokens with ids ≥ its vocab_size are left out; here mergekit
 *   falls back, without a config vocab_size, on `tokenizer.vocab_size` (the model vocabulary
 *   without the added tokens), not on the length of get_vocab() as elsewhere. mergekit appends
 *   regular tokens in the order of a hash map (it varies between runs); we take each model's
 *   tokens by id.
 * - The keys of `tokenizer.tokens` it lacks are appended last, as plain added tokens; an empty
 *   key is skipped (add_tokens ignores it). A key it has keeps its definition: mergekit's
 *   `add_tokens("text")` would make it a plain added token (a special token losing `special`),
 *   which we do not copy (docs/differences.md).
 * A new token's id is one past the largest id so far (the tokenizers library numbers new added
 * tokens from the model's vocabulary size, which is the same for vocabularies numbered 0..n-1).
 */
import type { AddedToken, TokenVocab } from './tokenizer-vocab.ts';

/** A model's vocabulary as the merge sees it: get_vocab(), its added tokens, its vocab_size. */
export interface ModelVocab {
  readonly vocab: TokenVocab;
  readonly added: readonly AddedToken[];
  /** config.json vocab_size (else get_vocab()'s length): ids from here on have no embedding row. */
  readonly vocabSize: number;
  /** The same limit as `union` takes it: config.json vocab_size, else the model vocabulary's size. */
  readonly unionSize: number;
}

export interface OutputVocab {
  /** Token text by output id (0..n-1). */
  readonly tokens: readonly string[];
  readonly ids: ReadonlyMap<string, number>;
  /**
   * The added tokens to write into the donor's tokenizer, in the order they were added: new
   * ones (ids past the donor's) and existing tokens given another model's added-token definition.
   */
  readonly appended: readonly AddedToken[];
  /** How many of `appended` are new tokens. */
  readonly added: number;
}

/** `m` without the ids ≥ its vocab_size (get_stripped_tokenizer). */
export function stripVocab(m: ModelVocab): ModelVocab {
  if (![...m.vocab.values()].some((id) => id >= m.vocabSize)) return m;
  return {
    vocab: new Map([...m.vocab].filter(([, id]) => id < m.vocabSize)),
    added: m.added.filter((t) => t.id < m.vocabSize),
    vocabSize: m.vocabSize,
    // Without a config vocab_size only ids past get_vocab()'s length (a vocabulary with holes)
    // are stripped; the stripped model vocabulary is then at most this long.
    unionSize: Math.min(m.unionSize, m.vocabSize),
  };
}

const FLAGS = ['single_word', 'lstrip', 'rstrip', 'normalized', 'special'] as const;
type Definition = Omit<AddedToken, 'id'>;
const sameDefinition = (a: Definition, b: Definition): boolean => FLAGS.every((f) => a[f] === b[f]);

class Builder {
  private readonly ids = new Map<string, number>();
  /** The added-token definition of each token that has one. */
  private readonly defs = new Map<string, Definition>();
  private next = 0;
  readonly appended: AddedToken[] = [];
  added = 0;

  constructor(start: ModelVocab) {
    for (const [tok, id] of start.vocab) {
      this.ids.set(tok, id);
      this.next = Math.max(this.next, id + 1);
    }
    for (const t of start.added) this.defs.set(t.content, t);
  }

  has(tok: string): boolean {
    return this.ids.has(tok);
  }

  /**
   * add_tokens(t): a new token gets the next id; with `redefine` (an AddedToken, as the union
   * passes them) a token the tokenizer has keeps its id and takes t's definition.
   */
  add(t: Definition, redefine: boolean): void {
    if (t.content === '') return; // add_tokens skips empty tokens
    const id = this.ids.get(t.content);
    if (id !== undefined) {
      const def = this.defs.get(t.content);
      if (!redefine || (def !== undefined && sameDefinition(def, t))) return;
      this.defs.set(t.content, t);
      this.appended.push({ ...t, id });
      return;
    }
    const fresh = this.next++;
    this.ids.set(t.content, fresh);
    this.defs.set(t.content, t);
    this.appended.push({ ...t, id: fresh });
    this.added++;
  }

  result(): OutputVocab {
    const tokens: string[] = [];
    for (const [tok, id] of this.ids) tokens[id] = tok;
    return { tokens, ids: this.ids, appended: this.appended, added: this.added };
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

/** The tokens with ids below `limit`, in id order (a vocabulary has each id once). */
function tokensById(v: TokenVocab, limit: number): string[] {
  let top = -1;
  for (const id of v.values()) if (id < limit && id > top) top = id;
  if (top >= 2 * v.size + 1024) {
    // ids far apart: sorting beats a mostly empty array
    return [...v]
      .filter(([, id]) => id < limit)
      .sort((a, b) => a[1] - b[1])
      .map(([tok]) => tok);
  }
  const slots = new Array<string | undefined>(top + 1);
  for (const [tok, id] of v) if (id < limit) slots[id] = tok;
  return slots.filter((t): t is string => t !== undefined);
}

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
  const b = new Builder(source === 'model' ? donor! : base);
  if (source === 'union') {
    const all = [base, ...others];
    const added = new Map<string, AddedToken>();
    for (const m of all) {
      for (const t of [...m.added].sort((x, y) => x.id - y.id)) {
        if (t.id < m.unionSize && !added.has(t.content)) added.set(t.content, t);
      }
    }
    // the base's own tokens are all there already
    for (const m of others) {
      for (const tok of tokensById(m.vocab, m.unionSize)) {
        if (!added.has(tok) && !b.has(tok)) b.add(plainToken(tok), false);
      }
    }
    for (const { id: _id, ...t } of added.values()) b.add(t, true);
  }
  for (const tok of extraTokens) b.add(plainToken(tok), false);
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
