/**
 * What a model's tensors are: embeddings before the layers, per-layer weights, and the final
 * norm / head after them. mergekit ships JSON descriptions for ~60 architectures and infers
 * the rest from names; we infer for every model, by the same rule (the first `.<digits>.` in a
 * name is the layer index, the text before it the layer prefix), which gives the same result
 * as mergekit's Llama, Mistral, Qwen2, Gemma... descriptions for single-module decoders. A
 * vision-language model has one stack per module (the language model's, the vision tower's),
 * as mergekit's modular descriptions (Gemma 3, Qwen2-VL, Mistral 3...) list them.
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

/** One stack of numbered layers: "model.layers.0.", "model.layers.1.", ... */
export interface LayerStack {
  /** e.g. "model.layers."; empty when the model has no layers. */
  readonly prefix: string;
  readonly numLayers: number;
  /** Per layer index, the names after "<prefix><i>." present in that layer. */
  readonly layerSuffixes: readonly (readonly string[])[];
}

export interface ArchInfo {
  /** The main stack's (the language model's): what layer counts, ranges and charts refer to. */
  readonly numLayers: number;
  readonly layerPrefix: string;
  readonly layerSuffixes: readonly (readonly string[])[];
  /** Every tensor outside the stacks: embeddings and the like first, norms and heads after. */
  readonly pre: readonly string[];
  readonly post: readonly string[];
  /**
   * Every stack, the main one first. A vision-language model has two or more (its language
   * model's and its vision tower's, as mergekit's multi-module architectures do), each with
   * its own layer positions.
   */
  readonly stacks: readonly LayerStack[];
}

export class ArchitectureError extends Error {
  override readonly name: string = 'ArchitectureError';
}

const LAYER_RE = /^(.*?\.)(\d+)\.(.+)$/;
/** Buffers some checkpoints carry that are recomputed at load time; never merged or written. */
const SKIPPED = /(^|\.)rotary_emb\.inv_freq$/;
const PRE = /embed|(^|\.)wte\.|(^|\.)wpe\.|tok_embeddings/;
// Whole name components: Phi-3-vision's `model.vision_embed_tokens.img_processor...` is a
// vision tower (its layers included), not vocabulary rows to cut or reorder.
const EMBED =
  /(^|\.)(embed_tokens|lm_head|wte|embed_in|embed_out|word_embeddings|tok_embeddings)\.|(^|\.)output\.weight$/;
const HEAD = /(^|\.)(lm_head|embed_out)\.weight$/;
/** The input embedding's weight, and the output head's (`output.weight` too, as Llama's originals). */
export const INPUT_EMBEDDING = /(^|\.)(embed_tokens|wte|embed_in|word_embeddings|tok_embeddings)\.weight$/;
export const OUTPUT_HEAD = /(^|\.)(lm_head|embed_out)\.weight$|^output\.weight$/;

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

/**
 * In a model with numbered tensors under several prefixes, the prefixes that are layer stacks:
 * "layers.", "blocks.", "h.", "resblocks." (an OpenAI CLIP tower, as in Qwen-VL's
 * `transformer.visual.transformer.resblocks.`), a "…_list." ModuleList (Qwen3-VL's
 * `deepstack_merger_list`, a stack of its own in mergekit's description) and the like. A
 * numbered Sequential elsewhere (`visual.merger.mlp.0.weight`, a projector's `linear.1.`) is
 * not a stack: its tensors are merged outside the layers, at position 0.
 */
const STACK = /(^|\.)(layers|layer|blocks|block|resblocks|h|\w+_list)\.$/;

export function inferArchitecture(model: ModelInfo): ArchInfo {
  const pre: string[] = [];
  const post: string[] = [];
  const byPrefix = new Map<string, Map<number, string[]>>();
  const names = [...model.tensors.keys()].sort();
  for (const name of names) {
    if (SKIPPED.test(name)) continue;
    const m = LAYER_RE.exec(name);
    if (!m) {
      (PRE.test(name) ? pre : post).push(name);
      continue;
    }
    let layers = byPrefix.get(m[1]!);
    if (!layers) byPrefix.set(m[1]!, (layers = new Map()));
    const idx = Number(m[2]);
    let list = layers.get(idx);
    if (!list) layers.set(idx, (list = []));
    list.push(m[3]!);
  }
  const configured = layerCountFromConfig(model.config);
  let stacks: LayerStack[];
  if (byPrefix.size <= 1) {
    const [prefix, layers] = [...byPrefix][0] ?? ['', new Map<number, string[]>()];
    const stack = layerStack(model.id, prefix, layers);
    if (configured !== undefined && configured !== stack.numLayers && stack.numLayers > 0) {
      throw new ArchitectureError(
        `${model.id}: config.json says ${configured} layers but the weights have ${stack.numLayers}`,
      );
    }
    stacks = [stack];
  } else {
    stacks = [];
    for (const [prefix, layers] of byPrefix) {
      // A stack with a missing layer is an error (layerStack), not a Sequential.
      if (STACK.test(prefix)) stacks.push(layerStack(model.id, prefix, layers));
      else {
        for (const [i, suffixes] of layers) {
          for (const suffix of suffixes) (PRE.test(prefix) ? pre : post).push(`${prefix}${i}.${suffix}`);
        }
      }
    }
    if (stacks.length === 0) {
      throw new ArchitectureError(
        `${model.id} has numbered tensors under several prefixes (${[...byPrefix.keys()].join(', ')}) and none of them is a layer stack`,
      );
    }
    stacks = mainFirst(model.id, stacks, configured);
    pre.sort();
    post.sort();
  }
  const main = stacks[0]!;
  return {
    numLayers: main.numLayers,
    layerPrefix: main.prefix,
    layerSuffixes: main.layerSuffixes,
    pre,
    post,
    stacks,
  };
}

function layerStack(id: string, prefix: string, layers: ReadonlyMap<number, readonly string[]>): LayerStack {
  const found = layers.size === 0 ? 0 : Math.max(...layers.keys()) + 1;
  const layerSuffixes: (readonly string[])[] = [];
  for (let i = 0; i < found; i++) {
    const list = layers.get(i);
    if (!list)
      throw new ArchitectureError(`${id} has no tensors for layer ${i}${prefix ? ` of ${prefix}` : ''}`);
    layerSuffixes.push(list);
  }
  return { prefix, numLayers: found, layerSuffixes };
}

const LANGUAGE_STACK = /language_model|text_model|decoder/;
const VISION_STACK = /vision|visual|image|merger|projector/;

/**
 * The language model's stack first: the one whose layer count config.json gives (its
 * text_config's, in a vision-language config), else the one named as a language model, else
 * one not named as part of a vision tower (Qwen2-VL's `model.layers.` beside `visual.blocks.`,
 * which may be the longer), else the longest.
 */
function mainFirst(id: string, stacks: LayerStack[], configured: number | undefined): LayerStack[] {
  const byCount = stacks.filter((s) => s.numLayers === configured);
  if (configured !== undefined && byCount.length === 0) {
    throw new ArchitectureError(
      `${id}: config.json says ${configured} layers but no layer stack has that many (${stacks.map((s) => `${s.prefix} ${s.numLayers}`).join(', ')})`,
    );
  }
  const named = (list: LayerStack[]) =>
    list.find((s) => LANGUAGE_STACK.test(s.prefix)) ?? list.find((s) => !VISION_STACK.test(s.prefix));
  const main =
    (byCount.length === 1 ? byCount[0] : undefined) ??
    named(byCount.length > 0 ? byCount : stacks) ??
    [...stacks].sort((a, b) => b.numLayers - a.numLayers)[0]!;
  return [main, ...stacks.filter((s) => s !== main)];
}

export function layerTensorName(arch: ArchInfo, layer: number, suffix: string): string {
  return `${arch.layerPrefix}${layer}.${suffix}`;
}
