/**
 * Model folders for fill-missing's tests, written into temp folders: a small vision-language
 * BASE (`language_model.` + a Llama's names, a vision tower with an I64 table, a projector,
 * processor files, a file in a subfolder), sharded with an index, and its language model as
 * SUBMODEL with other bytes; and the tinymix fixtures read back as tensors.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { DTYPE_SIZE, type DType } from '../io/dtypes.ts';
import { loadModel } from '../io/load-model.ts';
import { folderModelSource } from '../io/node/fs-source.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import { fnv1a32 } from '../rng.ts';

export interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** A tensor of bytes that depend on `seed` and the name: every tensor of every model differs. */
export function tensor(name: string, dtype: DType, shape: readonly number[], seed: string): Tensor {
  const n = shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[dtype];
  let h = fnv1a32(`${seed}/${name}`);
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    data[i] = h & 0xff;
  }
  return { name, dtype, shape, data };
}

/**
 * Writes a model folder: `files` as they are, the tensors in `shards` safetensors files (with
 * an index when more than one), the tensors divided among them in order.
 */
export async function writeModel(
  dir: string,
  tensors: readonly Tensor[],
  files: Readonly<Record<string, string | Uint8Array>>,
  shards = 1,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [f, data] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), data);
  }
  const per = Math.ceil(tensors.length / shards);
  const weightMap: Record<string, string> = {};
  for (let i = 0; i < shards; i++) {
    const part = tensors.slice(i * per, (i + 1) * per);
    const file =
      shards === 1 ? 'model.safetensors' : `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`; // prettier-ignore
    await writeFile(path.join(dir, file), serializeSafetensors(part));
    for (const t of part) weightMap[t.name] = file;
  }
  if (shards > 1) {
    const index = { metadata: { total_size: 0 }, weight_map: weightMap };
    await writeFile(path.join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
  }
}

/** A Llama's language-model tensors (2 layers), as its own names. */
export function llamaTensors(seed: string, dtype: DType = 'BF16'): Tensor[] {
  const out = [tensor('model.embed_tokens.weight', dtype, [32, 8], seed)];
  for (let l = 0; l < 2; l++) {
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'o_proj'])
      out.push(tensor(`model.layers.${l}.self_attn.${p}.weight`, dtype, [8, 8], seed));
    out.push(tensor(`model.layers.${l}.mlp.up_proj.weight`, dtype, [16, 8], seed));
    out.push(tensor(`model.layers.${l}.mlp.down_proj.weight`, dtype, [8, 16], seed));
    out.push(tensor(`model.layers.${l}.input_layernorm.weight`, dtype, [8], seed));
  }
  out.push(tensor('model.norm.weight', dtype, [8], seed));
  out.push(tensor('lm_head.weight', dtype, [32, 8], seed));
  return out;
}

/** The vision part of the BASE: tensors SUBMODEL never has. */
export function visionTensors(seed: string): Tensor[] {
  return [
    tensor('vision_tower.embeddings.patch_embedding.weight', 'F32', [8, 3, 2, 2], seed),
    tensor('vision_tower.embeddings.position_ids', 'I64', [1, 16], seed),
    tensor('vision_tower.encoder.layers.0.mlp.fc1.weight', 'F32', [12, 8], seed),
    tensor('multi_modal_projector.linear_1.weight', 'BF16', [8, 8], seed),
  ];
}

/** BASE's files besides its weights, by name. */
export const VL_FILES: Readonly<Record<string, string>> = {
  'config.json': JSON.stringify({ architectures: ['LlavaForConditionalGeneration'], model_type: 'llava' }),
  'tokenizer.json': '{"model": {"vocab": {"a": 0}}}',
  'tokenizer_config.json': '{"chat_template": "{{ messages }}"}',
  'preprocessor_config.json': '{"image_processor_type": "CLIPImageProcessor"}',
  'chat_template.jinja': '{% for m in messages %}{{ m.content }}{% endfor %}',
  'README.md': '# a base model\n',
  'extra/notes.txt': 'a file in a subfolder\n',
  '.cache/huggingface/download/model.safetensors.metadata': 'abc\n',
};

/** The tensors of a BASE with `language_model.` in front of the Llama's names. */
export function vlBaseTensors(): Tensor[] {
  return [
    ...llamaTensors('base').map((t) => ({ ...t, name: `language_model.${t.name}` })),
    ...visionTensors('base'),
  ];
}

/** A tinymix fixture's tensors, as stored. */
export async function tinymixTensors(id: string): Promise<Tensor[]> {
  const dir = path.join(MODELS_DIR, id);
  const m = await loadModel(folderModelSource(id, dir));
  const bytes = await readFile(path.join(dir, 'model.safetensors'));
  return [...m.tensors.entries()].map(([name, t]) => ({
    name,
    dtype: t.dtype,
    shape: t.shape,
    data: new Uint8Array(bytes.subarray(t.begin, t.end)),
  }));
}

/** Every tensor of the model folder `dir`, by name, as stored. */
export async function readTensors(dir: string): Promise<Map<string, Tensor>> {
  const m = await loadModel(folderModelSource(dir, dir));
  const out = new Map<string, Tensor>();
  for (const [name, t] of m.tensors) {
    const bytes = await readFile(path.join(dir, t.file));
    out.set(name, {
      name,
      dtype: t.dtype,
      shape: t.shape,
      data: new Uint8Array(bytes.subarray(t.begin, t.end)),
    });
  }
  return out;
}
