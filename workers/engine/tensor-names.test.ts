/**
 * Tensor names are untrusted text from the models' headers: names that are also
 * Object.prototype's (`__proto__`, `constructor`) must come out of a merge like any other, in
 * the shards' headers and in the index.
 */
import { describe, expect, it } from 'vitest';
import { decodeToF32, encodeFromF32 } from '../io/dtypes.ts';
import { loadModel } from '../io/load-model.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import { loadRecipe } from '../plan/recipe-yaml.ts';
import { runMerge } from './run-merge.ts';

const ODD = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
const TENSORS: readonly { name: string; shape: number[] }[] = [
  { name: 'model.embed_tokens.weight', shape: [16, 4] },
  { name: 'model.norm.weight', shape: [4] },
  { name: 'model.layers.0.input_layernorm.weight', shape: [4] },
  ...ODD.map((name) => ({ name, shape: [4] })),
];
const CONFIG = JSON.stringify({
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  num_hidden_layers: 1,
});
const RECIPE = `merge_method: linear
models:
  - model: a
    parameters: {weight: 0.5}
  - model: b
    parameters: {weight: 0.5}
dtype: float32
`;

/** A model whose every element is `value`. */
function model(id: string, value: number) {
  const weights = serializeSafetensors(
    TENSORS.map((t) => ({
      name: t.name,
      dtype: 'F32' as const,
      shape: t.shape,
      data: encodeFromF32(new Float32Array(t.shape.reduce((a, d) => a * d, 1)).fill(value), 'F32'),
    })),
  );
  const files = new Map([
    ['config.json', new TextEncoder().encode(CONFIG)],
    ['model.safetensors', weights],
  ]);
  return blobModelSource(id, files);
}

async function merge(maxShardBytes?: number) {
  const models = new Map([
    ['a', model('a', 1)],
    ['b', model('b', 3)],
  ]);
  const sink = memorySink();
  await runMerge({
    recipe: loadRecipe(RECIPE).recipe,
    resolve: (id) => Promise.resolve(models.get(id)!),
    sink,
    ...(maxShardBytes !== undefined && { maxShardBytes }),
  });
  // The output read back as a model: headers parsed, index checked against the shards.
  return loadModel(blobModelSource('out', sink.files));
}

async function expectAllMerged(out: Awaited<ReturnType<typeof merge>>): Promise<void> {
  expect([...out.tensors.keys()].sort()).toEqual(TENSORS.map((t) => t.name).sort());
  for (const name of ODD) {
    const t = out.tensors.get(name)!;
    const src = await out.source.open(t.file);
    expect([...decodeToF32(await src.read(t.begin, t.end - t.begin), t.dtype)], name).toEqual([2, 2, 2, 2]);
  }
}

describe('tensor names that are Object.prototype names', () => {
  it('are merged into one file that reads back whole', async () => {
    const out = await merge();
    expect(out.weightFiles.map((f) => f.path)).toEqual(['model.safetensors']);
    await expectAllMerged(out);
  });

  it('are merged into shards and named in the index', async () => {
    const out = await merge(64);
    expect(out.weightFiles.length).toBeGreaterThan(1);
    const index = JSON.parse(
      new TextDecoder().decode(await out.source.readFile('model.safetensors.index.json')),
    ) as { weight_map: Record<string, string> };
    expect(Object.keys(index.weight_map).sort()).toEqual(TENSORS.map((t) => t.name).sort());
    await expectAllMerged(out);
  });
});
