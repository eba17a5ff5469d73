/**
 * Fixtures for the tokensurgeon tests: tinymix-base (a byte-level BPE Llama, 260 tokens, hidden
 * 128, BF16) as MODEL, and a small donor with a SentencePiece-style Llama tokenizer ("▁" word
 * starts, <0xNN> byte tokens, tokens MODEL lacks), hidden 16, F32 embeddings from a seeded wave.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeToF32, encodeFromF32 } from '../io/dtypes.ts';
import { loadModel, type LoadedModel } from '../io/load-model.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import { parseHeader, readHeaderLength } from '../io/safetensors/header.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import {
  runTokenSurgeon,
  type SurgeryOptions,
  type TokenSurgeonJob,
  type TokenSurgeonResult,
} from './run-tokensurgeon.ts';

export const TINYMIX_BASE = path.resolve(import.meta.dirname, '../../test-data/tinymix/tinymix-base');

export const DONOR_TOKENS = [
  '<unk>', '<s>', '</s>', '<0x41>', 'a', 'b', '▁', '▁a', 'ab', 'xyzw', '<0x0A>',
  ...Array.from({ length: 24 }, (_, i) => String.fromCharCode(99 + i)), // c..z
]; // prettier-ignore
export const DONOR_HIDDEN = 16;

const json = (x: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(x, null, 2));

export function modelFiles(): Map<string, Uint8Array> {
  return new Map(
    readdirSync(TINYMIX_BASE).map((f) => [f, new Uint8Array(readFileSync(path.join(TINYMIX_BASE, f)))]),
  );
}

/** Deterministic values in [-1, 1). */
export function wave(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(1.7 * i + seed) * Math.cos(0.37 * i * seed + 1));
}

export function donorFiles(opts: { tied?: boolean } = {}): Map<string, Uint8Array> {
  const n = DONOR_TOKENS.length;
  const tensor = (name: string, seed: number) => ({
    name,
    dtype: 'F32' as const,
    shape: [n, DONOR_HIDDEN],
    data: encodeFromF32(wave(n * DONOR_HIDDEN, seed), 'F32'),
  });
  const tensors = [
    tensor('model.embed_tokens.weight', 1),
    ...(opts.tied ? [] : [tensor('lm_head.weight', 2)]),
  ];
  const specials = ['<unk>', '<s>', '</s>'];
  return new Map([
    ['config.json', json({ architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: n, hidden_size: DONOR_HIDDEN, bos_token_id: 1, eos_token_id: 2, unk_token_id: 0, tie_word_embeddings: opts.tied === true })], // prettier-ignore
    ['model.safetensors', serializeSafetensors(tensors)],
    [
      'tokenizer.json',
      json({
        version: '1.0',
        added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })), // prettier-ignore
        model: { type: 'BPE', vocab: Object.fromEntries(DONOR_TOKENS.map((t, i) => [t, i])), merges: [] },
      }),
    ],
    ['tokenizer_config.json', json({ tokenizer_class: 'LlamaTokenizerFast', bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' })], // prettier-ignore
    ['special_tokens_map.json', json({ bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' })],
  ]);
}

/** A model's files with some tensors left out of model.safetensors and config.json patched. */
export function withoutTensors(
  files: Map<string, Uint8Array>,
  drop: string[],
  patch: Record<string, unknown> = {},
): Map<string, Uint8Array> {
  const out = new Map(files);
  const bytes = files.get('model.safetensors')!;
  const n = readHeaderLength(bytes, 'm', bytes.byteLength);
  const header = parseHeader(bytes.subarray(8, 8 + n), 'm', bytes.byteLength);
  const kept = header.tensors.filter((t) => !drop.includes(t.name)).map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: bytes.subarray(t.begin, t.end) })); // prettier-ignore
  out.set('model.safetensors', serializeSafetensors(kept));
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
  out.set('config.json', json({ ...config, ...patch }));
  return out;
}

export const OPTIONS: SurgeryOptions = {
  method: 'omp',
  k: 4,
  cosineSimilarity: false,
  weightScheme: 'distance_proportional',
  seed: 0,
  batchSize: 512,
  byteMatch: 'no',
  prefixMatch: 'no',
};

export interface Surgery {
  readonly result: TokenSurgeonResult;
  readonly out: LoadedModel;
  readonly model: LoadedModel;
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly modelFiles: ReadonlyMap<string, Uint8Array>;
  /** A tensor's stored bytes in the output, or in MODEL. */
  bytes(name: string, of?: 'out' | 'model'): Uint8Array;
  values(name: string, of?: 'out' | 'model'): Float32Array;
  json(file: string): Record<string, unknown>;
  logs: string[];
}

export async function surgery(
  options: Partial<SurgeryOptions> = {},
  files: { model?: Map<string, Uint8Array>; donor?: Map<string, Uint8Array> } = {},
  extra: Partial<TokenSurgeonJob> = {},
): Promise<Surgery> {
  const mFiles = files.model ?? modelFiles();
  const sink = memorySink();
  const logs: string[] = [];
  const result = await runTokenSurgeon({
    model: blobModelSource('tinymix-base', mFiles),
    donor: blobModelSource('donor', files.donor ?? donorFiles()),
    sink,
    options: { ...OPTIONS, ...options },
    onLog: (l) => logs.push(l),
    ...extra,
  });
  const out = await loadModel(blobModelSource('out', sink.files));
  const model = await loadModel(blobModelSource('tinymix-base', mFiles));
  const bytes = (name: string, of: 'out' | 'model' = 'out'): Uint8Array => {
    const [m, fs] = of === 'out' ? [out, sink.files] : [model, mFiles];
    const t = m.tensors.get(name)!;
    return fs.get(t.file)!.subarray(t.begin, t.end);
  };
  return {
    result,
    out,
    model,
    files: sink.files,
    modelFiles: mFiles,
    bytes,
    values: (name, of = 'out') =>
      decodeToF32(bytes(name, of), (of === 'out' ? out : model).tensors.get(name)!.dtype),
    json: (f) => JSON.parse(new TextDecoder().decode(sink.files.get(f))) as Record<string, unknown>,
    logs,
  };
}
