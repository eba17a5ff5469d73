/**
 * Test fixtures for the Hub reader (Node only): synthetic Llama-shaped model folders with any
 * number of layers, for request-count tests, and a recording fetch for unit tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serializeSafetensors } from '../safetensors/layout.ts';

export interface TinyModelSpec {
  readonly layers: number;
  readonly hidden: number;
  readonly vocab: number;
  /** Seeds the (deterministic) weights, so fine-tunes differ from the base. */
  readonly seed: number;
}

/** A Llama-shaped model in BF16: embeddings, per layer 4 projections and 2 norms, final norm, head. */
export async function writeTinyModel(dir: string, spec: TinyModelSpec): Promise<void> {
  const { layers, hidden, vocab, seed } = spec;
  const tensors: { name: string; dtype: 'BF16'; shape: number[]; data: Uint8Array }[] = [];
  let state = seed * 2654435761;
  const add = (name: string, shape: number[]): void => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Uint8Array(n * 2);
    for (let i = 0; i < n; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      // bf16 of a small value in [-1, 1): sign, exponent 0x3c..0x3f, random mantissa.
      const bits = ((state >>> 31) << 15) | ((0x7c + ((state >>> 24) & 3)) << 7) | ((state >>> 8) & 0x7f);
      data[i * 2] = bits & 0xff;
      data[i * 2 + 1] = bits >>> 8;
    }
    tensors.push({ name, dtype: 'BF16', shape, data });
  };
  add('model.embed_tokens.weight', [vocab, hidden]);
  for (let l = 0; l < layers; l++) {
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'o_proj'])
      add(`model.layers.${l}.self_attn.${p}.weight`, [hidden, hidden]);
    add(`model.layers.${l}.input_layernorm.weight`, [hidden]);
    add(`model.layers.${l}.post_attention_layernorm.weight`, [hidden]);
  }
  add('model.norm.weight', [hidden]);
  add('lm_head.weight', [vocab, hidden]);
  await mkdir(dir, { recursive: true });
  // Python's safetensors writer lays tensors out sorted by name (within a dtype): so do we.
  tensors.sort((a, b) => (a.name < b.name ? -1 : 1));
  await writeFile(path.join(dir, 'model.safetensors'), serializeSafetensors(tensors));
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: vocab,
    hidden_size: hidden,
    num_hidden_layers: layers,
    torch_dtype: 'bfloat16',
  };
  await writeFile(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

export interface RecordedRequest {
  readonly url: string;
  readonly headers: Headers;
}

/** A fetch that records requests and answers with `respond`. */
export function recordingFetch(respond: (url: string, headers: Headers) => Response | Promise<Response>): {
  fetch: typeof fetch;
  requests: RecordedRequest[];
} {
  const requests: RecordedRequest[] = [];
  const f = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers = new Headers(init?.headers);
    requests.push({ url, headers });
    return respond(url, headers);
  };
  return { fetch: f as typeof fetch, requests };
}
