/**
 * Vision-language (multi-module) models merged with `models:`: every layer stack gets its
 * positions from its own layer count, as mergekit plans each module of a modular architecture,
 * and tensors outside the stacks sit at position 0. The checks compare the merge of a
 * vision-language model with the merges of its parts on their own: the language model's
 * tensors must be byte for byte those of the same recipe on the text model (which the golden
 * set checks against mergekit), and the vision tower's those of a vision-only model.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { encodeFromF32, type DType } from '../io/dtypes.ts';
import { loadModel } from '../io/load-model.ts';
import { blobModelSource } from '../io/memory.ts';
import { folderModelSource } from '../io/node/fs-source.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import type { ModelResolver } from '../io/source.ts';
import { RecipeError } from '../plan/problems.ts';
import { mergeInMemory } from './test-helpers.ts';

interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

const VISION_LAYERS = 3;

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

const PROCESSOR_FILES = ['preprocessor_config.json', 'processor_config.json'];

function source(id: string, config: unknown, tensors: readonly Tensor[], extra: readonly string[] = []) {
  return blobModelSource(
    id,
    new Map([
      ['config.json', new TextEncoder().encode(JSON.stringify(config))],
      ['model.safetensors', serializeSafetensors(tensors.map((t) => ({ ...t, shape: [...t.shape] })))],
      ...extra.map((f) => [f, new TextEncoder().encode(JSON.stringify({ file: f, model: id }))] as const),
    ]),
  );
}

/** For each fixture model: itself, a vision-language model around it, and its vision tower alone. */
async function models(
  ids: readonly string[],
): Promise<{ text: ModelResolver; vl: ModelResolver; vision: ModelResolver }> {
  const text = new Map<string, ReturnType<typeof source>>();
  const vl = new Map<string, ReturnType<typeof source>>();
  const vision = new Map<string, ReturnType<typeof source>>();
  for (const [k, id] of ids.entries()) {
    const t = await textTensors(id);
    text.set(id, source(id, t.config, t.tensors));
    const tower = visionTensors(k);
    vl.set(
      id,
      source(
        id,
        {
          architectures: ['TinyVLForConditionalGeneration'],
          model_type: 'tinyvl',
          text_config: t.config,
          vision_config: { num_hidden_layers: VISION_LAYERS },
        },
        [...t.tensors.map((x) => ({ ...x, name: `language_model.${x.name}` })), ...tower],
        PROCESSOR_FILES,
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
const SLERP = `merge_method: slerp
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

const TIES = `merge_method: ties
base_model: tinymix-base
models:
  - model: tinymix-code
    parameters: {weight: [0.3, 0.9], density: 0.6}
  - model: tinymix-math
    parameters: {weight: 0.5, density: [0.9, 0.4]}
dtype: bfloat16
`;

describe('vision-language (multi-module) models, merged with models:', () => {
  for (const [label, recipe, ids] of [
    ['slerp with gradients and filters', SLERP, ['tinymix-base', 'tinymix-code']],
    ['ties with gradients', TIES, ['tinymix-base', 'tinymix-code', 'tinymix-math']],
  ] as const) {
    it(`${label}: each stack at its own positions, the same bytes as its part merged alone`, async () => {
      const m = await models(ids);
      const vl = await mergeInMemory(recipe, m.vl);
      const text = await mergeInMemory(recipe, m.text);
      const vision = await mergeInMemory(recipe, m.vision);
      const expected = new Map<string, Uint8Array>();
      for (const name of text.out.tensors.keys()) expected.set(`language_model.${name}`, text.bytes(name));
      for (const name of vision.out.tensors.keys()) expected.set(name, vision.bytes(name));
      expect([...vl.out.tensors.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [name, bytes] of expected) expect(vl.bytes(name), name).toEqual(bytes);
      // The vision stack's layers really differ by position (the check above would catch a
      // position taken from the text stack's count).
      expect(vl.bytes('vision_tower.encoder.layers.1.attn.weight')).not.toEqual(
        vl.bytes('vision_tower.encoder.layers.0.attn.weight'),
      );
      const config = vl.json('config.json');
      expect((config['text_config'] as Record<string, unknown>)['num_hidden_layers']).toBe(4);
      expect(config['vision_config']).toEqual({ num_hidden_layers: VISION_LAYERS });
      expect(vl.result.layers).toBe(4);
      // The base's processor files come along, as mergekit's VLM architectures carry them.
      for (const f of PROCESSOR_FILES) expect(vl.json(f)).toEqual({ file: f, model: 'tinymix-base' });
    });
  }

  it('refuses slices: and a text-only model among vision-language ones, saying why', async () => {
    const m = await models(['tinymix-base', 'tinymix-code']);
    const slices = `merge_method: passthrough
slices:
  - sources: [{model: tinymix-base, layer_range: [0, 2]}]
  - sources: [{model: tinymix-code, layer_range: [2, 4]}]
`;
    const err = await mergeInMemory(slices, m.vl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecipeError);
    expect((err as Error).message).toMatch(
      /tinymix-base has several layer stacks \(language_model\.model\.layers\. 4, vision_tower\.encoder\.layers\. 3\): a vision-language or other multi-module model\. slices: pick layers of one stack only; merge it with models:/,
    );
    const mixed: ModelResolver = (id) => (id === 'tinymix-code' ? m.text(id) : m.vl(id));
    const err2 = await mergeInMemory(SLERP, mixed).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(RecipeError);
    expect((err2 as Error).message).toMatch(
      /tinymix-code's layer stacks \(model\.layers\. 4\) differ from tinymix-base's \(language_model\.model\.layers\. 4, vision_tower\.encoder\.layers\. 3\): the models must have the same architecture/,
    );
  });
});
