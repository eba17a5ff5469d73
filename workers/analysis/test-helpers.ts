/** Tiny Llama-shaped models built in memory for the analysis tests, with reads counted. */
import { blobModelSource } from '../io/memory.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import type { ModelResolver, ModelSource } from '../io/source.ts';

/** Layer tensors of the test models: [rows, cols]. */
export const SHAPES: Readonly<Record<string, readonly number[]>> = {
  'self_attn.q_proj.weight': [8, 4],
  'mlp.down_proj.weight': [4, 8],
  'input_layernorm.weight': [4],
};

/** Value of element i of a tensor of layer `layer` (module without ".weight"). */
export type Values = (layer: number, module: string, i: number) => number;

export function tinyModel(id: string, layers: number, values: Values): ModelSource {
  const tensors: { name: string; dtype: 'F32'; shape: readonly number[]; data: Uint8Array }[] = [];
  const add = (name: string, shape: readonly number[], f: (i: number) => number): void => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, (_, i) => f(i));
    tensors.push({ name, dtype: 'F32', shape, data: new Uint8Array(data.buffer) });
  };
  add('model.embed_tokens.weight', [16, 4], (i) => i / 16);
  add('model.norm.weight', [4], () => 1);
  for (let l = 0; l < layers; l++) {
    for (const [suffix, shape] of Object.entries(SHAPES)) {
      add(`model.layers.${l}.${suffix}`, shape, (i) => values(l, suffix.replace(/\.weight$/, ''), i));
    }
  }
  const config = { architectures: ['LlamaForCausalLM'], model_type: 'llama', num_hidden_layers: layers };
  return blobModelSource(
    id,
    new Map<string, Uint8Array>([
      ['config.json', new TextEncoder().encode(JSON.stringify(config))],
      ['model.safetensors', serializeSafetensors(tensors)],
    ]),
  );
}

/** A resolver over `sources` that counts the range reads of weight files. */
export function countingResolver(sources: readonly ModelSource[]): {
  resolve: ModelResolver;
  reads: { offset: number; length: number; model: string }[];
} {
  const reads: { offset: number; length: number; model: string }[] = [];
  const byId = new Map(sources.map((s) => [s.id, s]));
  const resolve: ModelResolver = (id) => {
    const s = byId.get(id);
    if (!s) return Promise.reject(new Error(`no model ${id}`));
    return Promise.resolve({
      ...s,
      id: s.id,
      listFiles: (signal) => s.listFiles(signal),
      readFile: (p, signal) => s.readFile(p, signal),
      async open(path, signal) {
        const src = await s.open(path, signal);
        return {
          name: src.name,
          size: src.size,
          read(offset, length, sig) {
            reads.push({ offset, length, model: id });
            return src.read(offset, length, sig);
          },
        };
      },
    });
  };
  return { resolve, reads };
}
