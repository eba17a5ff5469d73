/**
 * The output config.json: the donor's (base model's) config with the layer count, dtype and
 * vocabulary size patched. mergekit leaves vocab_size stale when it crops embeddings (its
 * issues #139, #425); we keep it in sync with the embeddings actually written.
 */
import { layerCountFromConfig } from './architecture.ts';
import type { PlannedTensor } from './plan-types.ts';
import type { Recipe } from './recipe.ts';

export function outputConfig(
  donor: Readonly<Record<string, unknown>>,
  recipe: Recipe,
  numLayers: number,
  tensors: readonly PlannedTensor[],
  warnings: Set<string>,
): Record<string, unknown> {
  const config: Record<string, unknown> = structuredClone(donor) as Record<string, unknown>;
  const target =
    typeof config['text_config'] === 'object' && config['num_hidden_layers'] === undefined
      ? (config['text_config'] as Record<string, unknown>)
      : config;
  if (layerCountFromConfig(donor) !== undefined) {
    const key =
      ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers'].find((k) => k in target) ??
      'num_hidden_layers';
    target[key] = numLayers;
  }
  const dtype = recipe.out_dtype ?? recipe.dtype;
  if (dtype) {
    if ('dtype' in config && !('torch_dtype' in config)) config['dtype'] = dtype;
    else config['torch_dtype'] = dtype;
  }
  const embed = tensors.find((t) => t.isEmbed && t.section === 'pre' && t.shape.length === 2);
  const vocab = target['vocab_size'];
  if (embed && typeof vocab === 'number' && embed.shape[0] !== vocab) {
    warnings.add(
      `config.json vocab_size ${vocab} patched to ${embed.shape[0]} to match the merged embeddings`,
    );
    target['vocab_size'] = embed.shape[0];
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
