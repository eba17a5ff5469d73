/** MoE builds of the tinymix fixtures into memory, opened again for the tests to read. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeToF32, encodeFromF32 } from '../io/dtypes.ts';
import { loadModel, type LoadedModel } from '../io/load-model.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import { folderResolver } from '../io/node/fs-source.ts';
import { parseHeader, readHeaderLength } from '../io/safetensors/header.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import type { ModelResolver } from '../io/source.ts';
import { buildMoe, type MoeJob, type MoeResult } from './build-moe.ts';
import { loadMoeConfig } from './moe-yaml.ts';

export const TINYMIX = path.resolve(import.meta.dirname, '../../test-data/tinymix');

/** Three experts with prompts of their own domains (cheap_embed). */
export const TINYMIX_MOE = `base_model: tinymix-base
gate_mode: cheap_embed
experts:
  - source_model: tinymix-code
    positive_prompts:
      - "def merge(a, b):"
      - "import os"
  - source_model: tinymix-math
    positive_prompts:
      - "37+45=82"
  - source_model: tinymix-law
    positive_prompts:
      - "The licensee shall"
`;

export interface BuiltMoe {
  readonly result: MoeResult;
  readonly out: LoadedModel;
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** A tensor's stored bytes in the output. */
  bytes(name: string): Uint8Array;
  /** A tensor of the output, decoded. */
  values(name: string): Float32Array;
  json(file: string): Record<string, unknown>;
}

/** The files of a tinymix model folder (a fresh map: tests change it for variants). */
export function tinymixFiles(name: string): Map<string, Uint8Array> {
  const dir = path.join(TINYMIX, name);
  return new Map(readdirSync(dir).map((f) => [f, new Uint8Array(readFileSync(path.join(dir, f)))]));
}

const opened = new Map<string, Promise<{ model: LoadedModel; files: Map<string, Uint8Array> }>>();

function openTinymix(name: string): Promise<{ model: LoadedModel; files: Map<string, Uint8Array> }> {
  let m = opened.get(name);
  if (!m) {
    const files = tinymixFiles(name);
    opened.set(name, (m = loadModel(blobModelSource(name, files)).then((model) => ({ model, files }))));
  }
  return m;
}

/** Stored bytes of a tensor of a tinymix model (read straight from its files). */
export async function sourceBytes(model: string, tensor: string): Promise<Uint8Array> {
  const { model: m, files } = await openTinymix(model);
  const t = m.tensors.get(tensor)!;
  return files.get(t.file)!.subarray(t.begin, t.end);
}

export async function sourceValues(model: string, tensor: string): Promise<Float32Array> {
  const { model: m } = await openTinymix(model);
  return decodeToF32(await sourceBytes(model, tensor), m.tensors.get(tensor)!.dtype);
}

export async function buildInMemory(
  text: string,
  extra: Partial<MoeJob> & { readonly allowAllSame?: boolean } = {},
  resolve: ModelResolver = folderResolver(TINYMIX),
): Promise<BuiltMoe> {
  const sink = memorySink();
  const { config } = loadMoeConfig(text, undefined, { allowAllSame: extra.allowAllSame ?? false });
  const result = await buildMoe({ config, configText: text, resolve, sink, ...extra });
  const out = await loadModel(blobModelSource('out', sink.files));
  const bytes = (name: string): Uint8Array => {
    const t = out.tensors.get(name)!;
    return sink.files.get(t.file)!.subarray(t.begin, t.end);
  };
  return {
    result,
    out,
    files: sink.files,
    bytes,
    values: (name) => decodeToF32(bytes(name), out.tensors.get(name)!.dtype),
    json: (f) => JSON.parse(new TextDecoder().decode(sink.files.get(f))) as Record<string, unknown>,
  };
}

/** Single-file tinymix models, which qwen3Files and qwen2Files convert. */
export const CONVERTIBLE_MODELS = ['tinymix-base', 'tinymix-code', 'tinymix-law'];

type Added = { name: string; dtype: 'BF16'; shape: number[]; data: Uint8Array };

/** A tinymix model's files with config.json patched and tensors added to model.safetensors. */
function converted(
  name: string,
  patch: (c: Record<string, number>) => Record<string, unknown>,
  add: (c: Record<string, number>) => Added[],
): Map<string, Uint8Array> {
  const files = tinymixFiles(name);
  const bytes = files.get('model.safetensors')!;
  const n = readHeaderLength(bytes, name, bytes.byteLength);
  const header = parseHeader(bytes.subarray(8, 8 + n), name, bytes.byteLength);
  const tensors = header.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: bytes.subarray(t.begin, t.end) })); // prettier-ignore
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, number>;
  tensors.push(...add(config));
  files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, ...patch(config) })));
  files.set('model.safetensors', serializeSafetensors(tensors));
  return files;
}

/** `length` bfloat16 values near `center`, seeded by `seed`. */
const wave = (length: number, center: number, seed: number): Uint8Array =>
  encodeFromF32(
    Float32Array.from({ length }, (_, i) => center + 0.25 * Math.sin(i + seed)),
    'BF16',
  );

/**
 * A tinymix model as a Qwen3 model: its config.json says qwen3 (head_dim given), and every layer
 * gains the q_norm and k_norm weights Qwen3 attention has (values near 1, seeded by the layer).
 */
const headDim = (c: Record<string, number>): number => c['hidden_size']! / c['num_attention_heads']!;

export function qwen3Files(name: string): Map<string, Uint8Array> {
  return converted(
    name,
    (c) => ({ model_type: 'qwen3', architectures: ['Qwen3ForCausalLM'], head_dim: headDim(c) }),
    (c) =>
      Array.from(
        { length: c['num_hidden_layers']! },
        (_, l) =>
        ['q_norm', 'k_norm'].map((w, k) => ({ name: `model.layers.${l}.self_attn.${w}.weight`, dtype: 'BF16' as const, shape: [headDim(c)], data: wave(headDim(c), 1, 3 * l + k) })), // prettier-ignore
      ).flat(),
  );
}

/** A tinymix model as a Qwen2 model, with q/k/v biases (small values, seeded by the layer). */
export function qwen2Files(name: string): Map<string, Uint8Array> {
  return converted(
    name,
    () => ({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'] }),
    (c) => {
      const d = headDim(c);
      const rows = { q: c['num_attention_heads']! * d, k: c['num_key_value_heads']! * d, v: c['num_key_value_heads']! * d }; // prettier-ignore
      return Array.from(
        { length: c['num_hidden_layers']! },
        (_, l) =>
        Object.entries(rows).map(([p, n], k) => ({ name: `model.layers.${l}.self_attn.${p}_proj.bias`, dtype: 'BF16' as const, shape: [n], data: wave(n, 0, 5 * l + k) })), // prettier-ignore
      ).flat();
    },
  );
}

/** The tinymix folders, with CONVERTIBLE_MODELS converted by `files` (qwen3Files, qwen2Files). */
export function convertedResolver(
  files: (name: string) => Map<string, Uint8Array> = qwen3Files,
): ModelResolver {
  const folders = folderResolver(TINYMIX);
  return (id, signal) =>
    CONVERTIBLE_MODELS.includes(id) ? Promise.resolve(blobModelSource(id, files(id))) : folders(id, signal);
}
