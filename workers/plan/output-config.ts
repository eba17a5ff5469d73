/**
 * The output config.json: the donor's (base model's) config with the layer count, dtype and
 * vocabulary size patched. mergekit leaves vocab_size stale when it crops embeddings (its
 * issues #139, #425); we keep it in sync with the embeddings actually written. With
 * `tokenizer_source` mergekit sets it to the tokenizer's length (`_update_config_vocab`).
 */
import { layerCountFromConfig } from './architecture.ts';
import type { PlannedTensor } from './plan-types.ts';
import type { Recipe } from './recipe.ts';

/** The part of a config that describes the language model: text_config in multimodal configs. */
export function textConfig<T extends Readonly<Record<string, unknown>>>(config: T): T {
  return typeof config['text_config'] === 'object' &&
    config['text_config'] !== null &&
    config['num_hidden_layers'] === undefined
    ? (config['text_config'] as T)
    : config;
}

const LAYER_KEYS = ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers'] as const;
const layerKey = (c: Record<string, unknown>) => LAYER_KEYS.find((k) => typeof c[k] === 'number');

/**
 * Every place a vision-language config gives a language-model setting: text_config, and the
 * top level too where it repeats it (Qwen2.5-VL and LLaVA configs carry both; transformers
 * builds the model from text_config, so patching only the top level leaves it stale).
 */
function textTargets(config: Record<string, unknown>, has: (c: Record<string, unknown>) => boolean) {
  const text = config['text_config'];
  const sub = typeof text === 'object' && text !== null ? (text as Record<string, unknown>) : undefined;
  const found = [config, ...(sub ? [sub] : [])].filter(has);
  return found.length > 0 ? found : [textConfig(config)];
}

export function outputConfig(
  donor: Readonly<Record<string, unknown>>,
  recipe: Recipe,
  numLayers: number,
  tensors: readonly PlannedTensor[],
  warnings: Set<string>,
  /** The tokenizer's length, when the recipe has `tokenizer_source` (tokenizer-plan.ts). */
  tokenizerLength?: number,
  /** The donor's own (main stack's) layer count. */
  donorLayers?: number,
): Record<string, unknown> {
  const config: Record<string, unknown> = structuredClone(donor) as Record<string, unknown>;
  const target = textConfig(config);
  if (layerCountFromConfig(donor) !== undefined) {
    for (const c of textTargets(config, (x) => layerKey(x) !== undefined)) {
      c[layerKey(c) ?? 'num_hidden_layers'] = numLayers;
    }
  } else if (donorLayers !== undefined && numLayers !== donorLayers) {
    // A config that leaves the count to its default (LLaVA's text_config): say the new one.
    target['num_hidden_layers'] = numLayers;
  }
  const dtype = recipe.out_dtype ?? recipe.dtype;
  if (dtype) {
    if ('dtype' in config && !('torch_dtype' in config)) config['dtype'] = dtype;
    else config['torch_dtype'] = dtype;
  }
  const embed = tensors.find((t) => t.isEmbed && t.section === 'pre' && t.shape.length === 2);
  const vocab = target['vocab_size'];
  const vocabTargets = textTargets(config, (c) => typeof c['vocab_size'] === 'number');
  if (tokenizerLength !== undefined) {
    // Its own warning (tokenizer-plan.ts) says so when this changes the value.
    for (const c of vocabTargets) c['vocab_size'] = tokenizerLength;
  } else if (embed && typeof vocab === 'number' && embed.shape[0] !== vocab) {
    warnings.add(
      `config.json vocab_size ${vocab} patched to ${embed.shape[0]} to match the merged embeddings`,
    );
    for (const c of vocabTargets) c['vocab_size'] = embed.shape[0];
  }
  return sortKeys(config) as Record<string, unknown>;
}

/** Sorted keys, as transformers' save_pretrained writes them. */
function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (x && typeof x === 'object') {
    return Object.fromEntries(
      Object.keys(x)
        .sort()
        .map((k) => [k, sortKeys((x as Record<string, unknown>)[k])]),
    );
  }
  return x;
}
