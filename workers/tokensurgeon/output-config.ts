/**
 * config.json of the output (mergekit's get_out_arch_info): MODEL's config with the donor's
 * vocabulary size and the donor's special token ids. mergekit copies bos/eos/pad_token_id
 * always (every transformers config has them, None when unset; a None is then left out of
 * the saved file) and unk_token_id, mask_token_id and padding_side when the donor's config has
 * them.
 */

type Config = Record<string, unknown>;

const ALWAYS = ['pad_token_id', 'eos_token_id', 'bos_token_id'] as const;
const IF_PRESENT = ['unk_token_id', 'mask_token_id', 'padding_side'] as const;

const isObj = (x: unknown): x is Config => typeof x === 'object' && x !== null && !Array.isArray(x);

export function outputConfig(model: Config, donor: Config, vocabSize: number): Config {
  const out: Config = structuredClone(model);
  // A multimodal config keeps the language model's vocabulary in text_config.
  const text = out['text_config'];
  if (!('vocab_size' in out) && isObj(text) && 'vocab_size' in text) text['vocab_size'] = vocabSize;
  else out['vocab_size'] = vocabSize;
  for (const key of ALWAYS) {
    const v = donor[key];
    if (v === undefined || v === null) delete out[key];
    else out[key] = v;
  }
  for (const key of IF_PRESENT) if (key in donor) out[key] = donor[key];
  return out;
}
