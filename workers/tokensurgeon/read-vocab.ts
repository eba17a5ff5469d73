/**
 * A model's normalised vocabulary, from its files as transformers' AutoTokenizer would see
 * them: tokenizer.json's vocabulary with the added tokens (../io/read-tokenizer.ts, which
 * already reads it for tokenizer_source), the special tokens' roles from tokenizer_config.json
 * and special_tokens_map.json (the latter wins, as in transformers), and the tokenizer class
 * that decides the word-start marker (./normalize-vocab.ts).
 */
import type { LoadedModel } from '../io/load-model.ts';
import { readTokenizerInfo } from '../io/read-tokenizer.ts';
import { MAX_JSON_FILE_BYTES } from '../io/source.ts';
import { TokenSurgeonError } from './errors.ts';
import {
  normalizedVocabulary,
  SPECIAL_ROLES,
  wordStartPrefix,
  type NormalizedToken,
} from './normalize-vocab.ts';

export interface ModelVocabulary {
  /** Normalised token -> id. */
  readonly vocab: Map<NormalizedToken, number>;
  /** The raw vocabulary's size (tokens, added ones included). */
  readonly size: number;
  readonly wordStart: string;
  readonly warnings: readonly string[];
}

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** A special token's text: a string, or an AddedToken object's content. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObj(v) && typeof v['content'] === 'string') return v['content'];
  return undefined;
}

async function readJson(
  model: Pick<LoadedModel, 'files' | 'source' | 'id'>,
  file: string,
  signal?: AbortSignal,
): Promise<Record<string, unknown> | undefined> {
  if (!model.files.includes(file)) return undefined;
  const bytes = await model.source.readFile(file, signal, MAX_JSON_FILE_BYTES);
  if (!bytes) return undefined;
  try {
    const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (isObj(json)) return json;
  } catch {
    // reported below
  }
  throw new TokenSurgeonError(`${model.id}/${file} is not a JSON object`);
}

/** role -> text from tokenizer_config.json, then special_tokens_map.json over it. */
export function specialTokensOf(
  tokenizerConfig: Record<string, unknown> | undefined,
  specialTokensMap: Record<string, unknown> | undefined,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const role of SPECIAL_ROLES) {
    const text = tokenText(specialTokensMap?.[role]) ?? tokenText(tokenizerConfig?.[role]);
    if (text !== undefined) out.set(role, text);
  }
  return out;
}

export async function readModelVocabulary(
  model: LoadedModel,
  signal?: AbortSignal,
): Promise<ModelVocabulary> {
  const info = await readTokenizerInfo(model, signal);
  if (info.kind === 'none') {
    throw new TokenSurgeonError(
      `${model.id} has no tokenizer.json: tokensurgeon needs both models' vocabularies (save the tokenizer with transformers' AutoTokenizer to get one)`,
    );
  }
  if (info.kind === 'unreadable') throw new TokenSurgeonError(`${model.id}: ${info.reason}`);
  const tokenizerConfig = await readJson(model, 'tokenizer_config.json', signal);
  const specialMap = await readJson(model, 'special_tokens_map.json', signal);
  const cls = tokenizerConfig?.['tokenizer_class'];
  const modelType = model.config['model_type'];
  const ws = wordStartPrefix(
    typeof cls === 'string' ? cls : undefined,
    typeof modelType === 'string' ? modelType : undefined,
    info.vocab,
  );
  const special = specialTokensOf(tokenizerConfig, specialMap);
  return {
    vocab: normalizedVocabulary(info.vocab, special, ws.prefix),
    size: info.vocab.size,
    wordStart: ws.prefix,
    warnings: ws.warning ? [`${model.id}: ${ws.warning}`] : [],
  };
}
