/**
 * What a model's tensors are: embeddings before the layers, per-layer weights, and the final
 * norm / head after them. mergekit ships JSON descriptions for ~60 architectures and infers
 * the rest from names; we infer for every model, by the same rule (the first `.<digits>.` in a
 * name is the layer index, the text before it the layer prefix), which gives the same result
 * as mergekit's Llama, Mistral, Qwen2, Gemma... descriptions for single-module decoders.
 */
import type { DType } from '../io/dtypes.ts';
import type { TokenizerInfo } from './tokenizer-vocab.ts';

export interface TensorMeta {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** What the planner needs of a model: its config and its tensor table (no bytes). */
export interface ModelInfo {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly tensors: ReadonlyMap<string, TensorMeta>;
  /**
   * Its tokenizer's vocabulary, read only for recipes with `tokenizer_source` (loadModels does
   * it; tokenizer.json can be tens of MB). Absent: not read (header-only previews).
   */
  readonly tokenizer?: TokenizerInfo;
  /**
   * Its chat template (tokenizer_config.json's, or chat_template.jinja's), read only for
   * `chat_template: auto`; null: it has none. Absent: not read.
   */
  readonly chatTemplate?: string | Readonly<Record<string, unknown>> | null;
}

export interface ArchInfo {
  readonly numLayers: number;
  /** e.g. "model.layers."; empty when the model has no layers. */
  readonly layerPrefix: string;
  readonly pre: readonly string[];
  readonly post: readonly string[];
  /** Per layer index, the names after "<prefix><i>." present in that layer. */
  readonly layerSuffixes: readonly (readonly string[])[];
}

export class ArchitectureError extends Error {
  override readonly name: string = 'ArchitectureError';
}

const LAYER_RE = /^(.*?\.)(\d+)\.(.+)$/;
/** Buffers some checkpoints carry that are recomputed at load time; never merged or written. */
const SKIPPED = /(^|\.)rotary_emb\.inv_freq$/;
const PRE = /embed|(^|\.)wte\.|(^|\.)wpe\.|tok_embeddings/;
const EMBED =
  /embed_tokens|lm_head|(^|\.)wte\.|embed_in|embed_out|word_embeddings|tok_embeddings|(^|\.)output\.weight$/;
const HEAD = /(^|\.)(lm_head|embed_out)\.weight$/;

/** Embedding-like tensors (vocab rows): mergekit's `is_embed`, rectified on vocab mismatch. */
export function isEmbedName(name: string): boolean {
  return EMBED.test(name);
}

/** An output head that may be tied to the input embeddings (absent from tied checkpoints). */
export function isTiedHeadName(name: string): boolean {
  return HEAD.test(name);
}

export function layerCountFromConfig(config: Readonly<Record<string, unknown>>): number | undefined {
  for (const key of ['num_hidden_layers', 'n_layer', 'num_layers', 'n_layers']) {
    const v = config[key];
    if (typeof v === 'number') return v;
  }
  const text = config['text_config'];
  if (text && typeof text === 'object') return layerCountFromConfig(text as Record<string, unknown>);
  return undefined;
}

export function inferArchitecture(model: ModelInfo): ArchInfo {
  const pre: string[] = [];
  const post: string[] = [];
  const prefixes = new Set<string>();
  const layers = new Map<number, string[]>();
  for (const name of [...model.tensors.keys()].sort()) {
    if (SKIPPED.test(name)) continue;
    const m = LAYER_RE.exec(name);
    if (!m) {
      (PRE.test(name) ? pre : post).push(name);
      continue;
    }
    prefixes.add(m[1]!);
    const idx = Number(m[2]);
    let list = layers.get(idx);
    if (!list) layers.set(idx, (list = []));
    list.push(m[3]!);
  }
  if (prefixes.size > 1) {
    throw new ArchitectureError(
      `${model.id} has layers under several prefixes (${[...prefixes].join(', ')}): multi-module models ` +
        '(vision-language, encoder-decoder) are not supported yet',
    );
  }
  const found = layers.size === 0 ? 0 : Math.max(...layers.keys()) + 1;
  const configured = layerCountFromConfig(model.config);
  if (configured !== undefined && configured !== found && found > 0) {
    throw new ArchitectureError(
      `${model.id}: config.json says ${configured} layers but the weights have ${found}`,
    );
  }
  const layerSuffixes: string[][] = [];
  for (let i = 0; i < found; i++) {
    const list = layers.get(i);
    if (!list) throw new ArchitectureError(`${model.id} has no tensors for layer ${i}`);
    layerSuffixes.push(list);
  }
  return { numLayers: found, layerPrefix: [...prefixes][0] ?? '', pre, post, layerSuffixes };
}

export function layerTensorName(arch: ArchInfo, layer: number, suffix: string): string {
  return `${arch.layerPrefix}${layer}.${suffix}`;
}
