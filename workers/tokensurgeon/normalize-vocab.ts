/**
 * mergekit's token normalisation (mergekit/tokenizer/normalization.py): a token that starts
 * with the tokenizer's word-start marker ("▁" for SentencePiece-style tokenizers, "Ġ" for
 * GPT-2 byte-level ones) becomes (WORD_START, rest), and a special token becomes
 * (SPECIAL, its role), so that "▁the" of a Llama-2 vocabulary and "Ġthe" of a Qwen one are the
 * same token, and "<s>" and "<|begin_of_text|>" are both the bos token.
 *
 * A normalised token is a string key here (Map keys must be primitives): plain tokens are
 * themselves, the two marked forms start with a NUL character, which no real vocabulary uses at
 * the start of a token (one that does is escaped, so keys never collide).
 *
 * One deliberate difference: mergekit maps every `additional_special_tokens` entry to the one
 * key (SPECIAL, "additional_special_tokens"), so all but one of them fall out of the vocabulary
 * and their rows stay zero. Here they stay plain tokens, matched by their text.
 */
import type { TokenVocab } from '../plan/tokenizer-vocab.ts';

export type NormalizedToken = string;

const MARK = '\u0000';
const WORD = `${MARK}W`;
const SPECIAL = `${MARK}S`;
const PLAIN = `${MARK}P`;

export const wordStartKey = (rest: string): NormalizedToken => `${WORD}${rest}`;
export const specialKey = (role: string): NormalizedToken => `${SPECIAL}${role}`;
export const plainKey = (token: string): NormalizedToken =>
  token.startsWith(MARK) ? `${PLAIN}${token}` : token;

export type TokenParts =
  | { readonly kind: 'plain'; readonly text: string }
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'special'; readonly text: string };

export function tokenParts(key: NormalizedToken): TokenParts {
  if (key.startsWith(WORD)) return { kind: 'word', text: key.slice(WORD.length) };
  if (key.startsWith(SPECIAL)) return { kind: 'special', text: key.slice(SPECIAL.length) };
  if (key.startsWith(PLAIN)) return { kind: 'plain', text: key.slice(PLAIN.length) };
  return { kind: 'plain', text: key };
}

/** mergekit's unnormalize_token: " rest" for a word start, the role for a special token. */
export function unnormalizeToken(key: NormalizedToken): string {
  const p = tokenParts(key);
  return p.kind === 'word' ? ` ${p.text}` : p.text;
}

/**
 * The roles of transformers' `special_tokens_map`, in its order (the first role that names a
 * token wins, as mergekit iterates the map). additional_special_tokens is left out (see above).
 */
export const SPECIAL_ROLES = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
] as const;

/** role -> token text, for the roles the tokenizer sets. */
export type SpecialTokens = ReadonlyMap<string, string>;

export function normalizeToken(token: string, special: SpecialTokens, wordStart: string): NormalizedToken {
  if (token.startsWith(wordStart)) return wordStartKey(token.slice(wordStart.length));
  for (const [role, text] of special) if (text === token) return specialKey(role);
  return plainKey(token);
}

/** Python's len(): code points, not UTF-16 units. */
const codePoints = (s: string): string[] => Array.from(s);

/**
 * mergekit's token_prefixes: the token's proper prefixes, longest first, with its marker; none
 * for a special token; stopping at the first prefix that is only whitespace.
 */
export function* tokenPrefixes(key: NormalizedToken): Generator<NormalizedToken> {
  const p = tokenParts(key);
  if (p.kind === 'special') return;
  const chars = codePoints(p.text);
  for (let i = chars.length - 1; i > 0; i--) {
    const prefix = chars.slice(0, i).join('');
    if (prefix.trim() === '') break;
    yield p.kind === 'word' ? wordStartKey(prefix) : plainKey(prefix);
  }
}

const GPT2_STYLE = new Set(['GPT2Tokenizer', 'OpenAIGPTTokenizer', 'Qwen2Tokenizer']);
const SP_STYLE = new Set(['LlamaTokenizer', 'T5Tokenizer', 'GemmaTokenizer']);
/**
 * What AutoTokenizer picks from config.json's model_type when tokenizer_config.json names no
 * class (only the families whose class decides the marker).
 */
const CLASS_OF_MODEL_TYPE: Readonly<Record<string, string>> = {
  llama: 'LlamaTokenizer',
  mistral: 'LlamaTokenizer',
  t5: 'T5Tokenizer',
  gemma: 'GemmaTokenizer',
  gemma2: 'GemmaTokenizer',
  gpt2: 'GPT2Tokenizer',
  'openai-gpt': 'OpenAIGPTTokenizer',
  qwen2: 'Qwen2Tokenizer',
};

export interface WordStart {
  readonly prefix: string;
  /** Set when the tokenizer class is unknown and "Ġ" was assumed, as mergekit warns. */
  readonly warning?: string;
}

/** The word-start marker as mergekit's normalized_vocabulary chooses it from the tokenizer class. */
export function wordStartPrefix(
  tokenizerClass: string | undefined,
  modelType: string | undefined,
  vocab: TokenVocab,
): WordStart {
  const cls = (tokenizerClass ?? CLASS_OF_MODEL_TYPE[modelType ?? ''] ?? '').replace(/Fast$/, '');
  if (GPT2_STYLE.has(cls)) return { prefix: 'Ġ' };
  // "dumb special case for deepseek's tokenizer" (mergekit): a Llama class over a byte-level vocabulary
  if (SP_STYLE.has(cls)) return { prefix: vocab.has('Ġhello') ? 'Ġ' : '▁' };
  return {
    prefix: 'Ġ',
    warning: `tokenizer class ${JSON.stringify(tokenizerClass ?? modelType ?? 'unknown')} is not one mergekit knows: assuming the "Ġ" word-start marker`,
  };
}

/** token key -> id, in the vocabulary's order; a later token with the same key wins, as in mergekit. */
export function normalizedVocabulary(
  vocab: TokenVocab,
  special: SpecialTokens,
  wordStart: string,
): Map<NormalizedToken, number> {
  const out = new Map<NormalizedToken, number>();
  for (const [token, id] of vocab) out.set(normalizeToken(token, special, wordStart), id);
  return out;
}
