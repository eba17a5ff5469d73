/**
 * Synthetic Llama-shaped BF16 models for benchmarks: realistic tensor names and shapes, values
 * from a counter hash (reproducible, fast to make). The base is uniform in (-0.04, 0.04); a
 * "fine-tune" (seed > 0) is the base plus independent noise of a tenth of its scale.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodeFromF32 } from '../../workers/io/dtypes.ts';
import { planSafetensorsFile } from '../../workers/io/safetensors/layout.ts';
import { mix32 } from '../../workers/rng.ts';

export interface LlamaShape {
  readonly layers: number;
  readonly hidden: number;
  readonly mlp: number;
  /** Width of the key/value projections (KV heads x head size). */
  readonly kv: number;
  readonly vocab: number;
}

/**
 * The benchmarks' models (bench:browser, bench:merge): TinyLlama-like shapes, hidden 2048, MLP
 * 5632, 4 KV heads of 64, vocab 32000 (~88 MB a layer; the largest tensors are the 131 MB
 * embeddings and head).
 */
export const BENCH_SHAPE = { hidden: 2048, mlp: 5632, kv: 256, vocab: 32000 } as const;

/** The benchmarks' merge: TIES of two fine-tunes (folders ft1, ft2) onto a base (folder base). */
export const BENCH_TIES_RECIPE = `merge_method: ties
base_model: base
models:
  - model: ft1
    parameters: {weight: 0.5, density: 0.5}
  - model: ft2
    parameters: {weight: 0.5, density: 0.5}
`;

export function llamaTensors(s: LlamaShape): { name: string; shape: number[] }[] {
  const t = [
    { name: 'model.embed_tokens.weight', shape: [s.vocab, s.hidden] },
    { name: 'lm_head.weight', shape: [s.vocab, s.hidden] },
    { name: 'model.norm.weight', shape: [s.hidden] },
  ];
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}.`;
    t.push(
      { name: `${p}input_layernorm.weight`, shape: [s.hidden] },
      { name: `${p}post_attention_layernorm.weight`, shape: [s.hidden] },
      { name: `${p}self_attn.q_proj.weight`, shape: [s.hidden, s.hidden] },
      { name: `${p}self_attn.k_proj.weight`, shape: [s.kv, s.hidden] },
      { name: `${p}self_attn.v_proj.weight`, shape: [s.kv, s.hidden] },
      { name: `${p}self_attn.o_proj.weight`, shape: [s.hidden, s.hidden] },
      { name: `${p}mlp.gate_proj.weight`, shape: [s.mlp, s.hidden] },
      { name: `${p}mlp.up_proj.weight`, shape: [s.mlp, s.hidden] },
      { name: `${p}mlp.down_proj.weight`, shape: [s.hidden, s.mlp] },
    );
  }
  return t.sort((a, b) => (a.name < b.name ? -1 : 1));
}

const u = (x: number): number => (mix32(x) & 0xffff) / 65536 - 0.5;

/** Writes DIR/model.safetensors and DIR/config.json; returns the weights file's size. */
export async function writeSyntheticLlama(dir: string, shape: LlamaShape, seed: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  const layout = planSafetensorsFile(llamaTensors(shape).map((s) => ({ ...s, dtype: 'BF16' as const })));
  const out = createWriteStream(path.join(dir, 'model.safetensors'));
  const write = (b: Uint8Array) => new Promise<void>((res, rej) => out.write(b, (e) => (e ? rej(e) : res())));
  await write(layout.header);
  for (const e of layout.entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const f = new Float32Array(n);
    const salt = mix32(e.offset);
    for (let i = 0; i < n; i++)
      f[i] = 0.08 * u(i ^ salt) + (seed === 0 ? 0 : 0.008 * u(i ^ salt ^ mix32(seed)));
    await write(encodeFromF32(f, 'BF16'));
  }
  await new Promise<void>((res) => out.end(res));
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: shape.hidden,
    intermediate_size: shape.mlp,
    num_hidden_layers: shape.layers,
    num_attention_heads: Math.max(1, shape.hidden / 64),
    num_key_value_heads: Math.max(1, shape.kv / 64),
    vocab_size: shape.vocab,
    torch_dtype: 'bfloat16',
    tie_word_embeddings: false,
  };
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  return layout.totalSize;
}
