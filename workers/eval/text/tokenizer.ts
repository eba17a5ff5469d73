/**
 * A model's tokenizer, from its tokenizer.json (and tokenizer_config.json when present), with
 * @huggingface/tokenizers, the pure-JS port of Hugging Face's tokenizers. Evaluation encodes
 * without special tokens: the loss is defined on the text's own tokens, no `<s>` in front.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import type { ModelSource } from '../../io/source.ts';
import { SourceError } from '../../io/source.ts';

export interface TextTokenizer {
  /** Token ids of `text`, no special tokens added. */
  encode(text: string): Int32Array;
  /** Text of `ids`; special tokens dropped unless `keepSpecial`. */
  decode(ids: readonly number[], keepSpecial?: boolean): string;
  /** The id of a token string (`<s>`, `</s>`), if the vocabulary has it. */
  idOf(token: string): number | undefined;
}

export function tokenizerFromJson(tokenizerJson: object, tokenizerConfig: object = {}): TextTokenizer {
  const tok = new Tokenizer(tokenizerJson, tokenizerConfig);
  return {
    encode: (text) => Int32Array.from(tok.encode(text, { add_special_tokens: false }).ids),
    decode: (ids, keepSpecial = false) => tok.decode([...ids], { skip_special_tokens: !keepSpecial }),
    idOf: (token) => tok.token_to_id(token),
  };
}

function json(bytes: Uint8Array, what: string): object {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as object;
  } catch (e) {
    throw new SourceError(`${what} is not valid JSON (${String(e)})`);
  }
}

/** Loads the tokenizer of a model folder or repository. */
export async function loadTokenizer(source: ModelSource, signal?: AbortSignal): Promise<TextTokenizer> {
  const tj = await source.readFile('tokenizer.json', signal);
  if (!tj) {
    throw new SourceError(
      `${source.id} has no tokenizer.json (only "fast" tokenizers can be read; convert it with transformers' AutoTokenizer.save_pretrained)`,
    );
  }
  const tc = await source.readFile('tokenizer_config.json', signal);
  return tokenizerFromJson(
    json(tj, `${source.id}/tokenizer.json`),
    tc ? json(tc, `${source.id}/tokenizer_config.json`) : {},
  );
}
