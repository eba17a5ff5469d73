/**
 * Prompts to token ids as mergekit-moe makes them (router.py tokenize_prompts): the tokenizer's
 * BOS token *text* is put in front of each prompt, which is then encoded without special tokens,
 * so the BOS comes from the text (a tokenizer's added-token matching turns "<s>" into its id)
 * and nothing else is added (no EOS, whatever the tokenizer's post-processor does). mergekit
 * batches the prompts with left padding by the BOS id under an attention mask: the padding
 * changes no real token's state, so each prompt is used here on its own, unpadded.
 */
import { MAX_JSON_FILE_BYTES, type ModelSource } from '../io/source.ts';
import { loadTokenizer, type TextTokenizer } from '../eval/text/tokenizer.ts';

export interface PromptTokenizer {
  readonly tokenizer: TextTokenizer;
  /** The BOS token's text (tokenizer.bos_token), when the tokenizer has one. */
  readonly bos: string | undefined;
}

/** A special token as tokenizer_config.json writes it: a string, or an AddedToken mapping. */
function tokenText(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (x && typeof x === 'object' && typeof (x as { content?: unknown }).content === 'string')
    return (x as { content: string }).content;
  return undefined;
}

const bosOf = (o: unknown): string | undefined =>
  o && typeof o === 'object' ? tokenText((o as Record<string, unknown>)['bos_token']) : undefined;

/** tokenizer.bos_token: tokenizer_config.json's, else special_tokens_map.json's. */
export function bosTokenOf(tokenizerConfig: unknown, specialTokensMap?: unknown): string | undefined {
  return bosOf(tokenizerConfig) ?? bosOf(specialTokensMap);
}

async function json(source: ModelSource, file: string, signal?: AbortSignal): Promise<unknown> {
  const bytes = await source.readFile(file, signal, MAX_JSON_FILE_BYTES);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  } catch {
    return undefined; // loadTokenizer names a broken tokenizer_config.json
  }
}

export async function loadPromptTokenizer(
  source: ModelSource,
  signal?: AbortSignal,
): Promise<PromptTokenizer> {
  const tokenizer = await loadTokenizer(source, signal);
  const bos = bosTokenOf(
    await json(source, 'tokenizer_config.json', signal),
    await json(source, 'special_tokens_map.json', signal),
  );
  return { tokenizer, bos };
}

/** Each prompt's ids: BOS text + prompt, no special tokens added. */
export function tokenizePrompts(t: PromptTokenizer, prompts: readonly string[]): Int32Array[] {
  return prompts.map((p) => t.tokenizer.encode((t.bos ?? '') + p));
}
