/** MoE builds of the tinymix fixtures into memory, opened again for the tests to read. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeToF32 } from '../io/dtypes.ts';
import { loadModel, type LoadedModel } from '../io/load-model.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import { folderResolver } from '../io/node/fs-source.ts';
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
