/**
 * Vision-language models for tests: each tinymix fixture model wrapped as the language model of
 * a small vision-language model (`language_model.` + its names, a 3-layer vision tower, a
 * numbered merger and a projector), and the tower alone as a model of its own.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { encodeFromF32, type DType } from '../io/dtypes.ts';
import { loadModel } from '../io/load-model.ts';
import { blobModelSource } from '../io/memory.ts';
import { folderModelSource } from '../io/node/fs-source.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import type { ModelResolver } from '../io/source.ts';

interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

export const VISION_LAYERS = 3;

/** A text model's tensors from the fixtures, as stored. */
async function textTensors(id: string): Promise<{ tensors: Tensor[]; config: Record<string, unknown> }> {
  const dir = path.join(MODELS_DIR, id);
  const m = await loadModel(folderModelSource(id, dir));
  const tensors = [...m.tensors.entries()].map(([name, t]) => ({
    name,
    dtype: t.dtype,
    shape: t.shape,
    data: readFileSync(path.join(dir, t.file)).subarray(t.begin, t.end),
  }));
  return { tensors, config: m.config as Record<string, unknown> };
}

/** A small vision tower, different in each model (`seed`): a stack, a numbered MLP, a projector. */
function visionTensors(seed: number): Tensor[] {
  const f32 = (name: string, shape: number[], k: number): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + k * 1.7 + seed * 2.3));
    return { name, dtype: 'F32', shape, data: encodeFromF32(v, 'F32') };
  };
  const out: Tensor[] = [];
  for (let l = 0; l < VISION_LAYERS; l++) {
    out.push(f32(`vision_tower.encoder.layers.${l}.attn.weight`, [6, 8], l));
    out.push(f32(`vision_tower.encoder.layers.${l}.fc.weight`, [8, 6], l + 10));
  }
  // Numbered like layers, but a Sequential inside a module, not a stack (Qwen2-VL's merger).
  out.push(f32('visual.merger.mlp.0.weight', [8, 8], 20));
  out.push(f32('visual.merger.mlp.2.weight', [8, 8], 21));
  out.push(f32('multi_modal_projector.weight', [8, 6], 22));
  return out;
}

export const PROCESSOR_FILES = ['preprocessor_config.json', 'processor_config.json'];

function source(
  id: string,
  config: unknown,
  tensors: readonly Tensor[],
  extra: readonly string[] = [],
  files: ReadonlyMap<string, Uint8Array> = new Map(),
) {
  return blobModelSource(
    id,
    new Map([
      ['config.json', new TextEncoder().encode(JSON.stringify(config))],
      ['model.safetensors', serializeSafetensors(tensors.map((t) => ({ ...t, shape: [...t.shape] })))],
      ...extra.map((f) => [f, new TextEncoder().encode(JSON.stringify({ file: f, model: id }))] as const),
      ...files,
    ]),
  );
}

export interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens: { id: number; content: string }[];
}

export interface VlOptions {
  /** Give every model (text and vision-language) its fixture tokenizer, changed by this. */
  readonly tokenizer?: (t: TokenizerJson) => void;
  /** Change the vision-language config (its text_config is the fixture's config). */
  readonly config?: (c: Record<string, unknown>) => void;
}

/** The fixture's tokenizer files, tokenizer.json changed by `edit`. */
function tokenizerFiles(id: string, edit: (t: TokenizerJson) => void): Map<string, Uint8Array> {
  const dir = path.join(MODELS_DIR, id);
  const t = JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
  edit(t);
  return new Map([
    ['tokenizer.json', new TextEncoder().encode(JSON.stringify(t))],
    ['tokenizer_config.json', readFileSync(path.join(dir, 'tokenizer_config.json'))],
  ]);
}

/** For each fixture model: itself, a vision-language model around it, and its vision tower alone. */
export async function vlModels(
  ids: readonly string[],
  options: VlOptions = {},
): Promise<{ text: ModelResolver; vl: ModelResolver; vision: ModelResolver }> {
  const text = new Map<string, ReturnType<typeof source>>();
  const vl = new Map<string, ReturnType<typeof source>>();
  const vision = new Map<string, ReturnType<typeof source>>();
  for (const [k, id] of ids.entries()) {
    const t = await textTensors(id);
    const tok = options.tokenizer ? tokenizerFiles(id, options.tokenizer) : new Map<string, Uint8Array>();
    text.set(id, source(id, t.config, t.tensors, [], tok));
    const tower = visionTensors(k);
    const config: Record<string, unknown> = {
      architectures: ['TinyVLForConditionalGeneration'],
      model_type: 'tinyvl',
      text_config: structuredClone(t.config),
      vision_config: { num_hidden_layers: VISION_LAYERS },
    };
    options.config?.(config);
    vl.set(
      id,
      source(
        id,
        config,
        [...t.tensors.map((x) => ({ ...x, name: `language_model.${x.name}` })), ...tower],
        PROCESSOR_FILES,
        tok,
      ),
    );
    vision.set(id, source(id, { architectures: ['TinyVision'], num_hidden_layers: VISION_LAYERS }, tower));
  }
  const of =
    (m: Map<string, ReturnType<typeof source>>): ModelResolver =>
    (id) =>
      Promise.resolve(m.get(id)!);
  return { text: of(text), vl: of(vl), vision: of(vision) };
}

// slerp-gradient-filters of the golden set: t varies by layer, with a fallback gradient for
// what the filters miss (all of the vision tower), so a wrong position changes the bytes.
export const SLERP = `merge_method: slerp
base_model: tinymix-base
models:
  - model: tinymix-base
  - model: tinymix-code
parameters:
  t:
    - filter: self_attn
      value: [0.0, 0.5, 0.3, 0.7, 1.0]
    - filter: mlp
      value: [1.0, 0.5, 0.7, 0.3, 0.0]
    - value: [0.2, 0.8]
dtype: float32
out_dtype: float32
`;
