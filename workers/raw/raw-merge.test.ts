/**
 * Pytorch merges (mergekit-pytorch): checkpoint files merged by tensor name. Where a recipe's
 * parameters do not depend on the layer, the tensors are those of the model merge of the same
 * models, byte for byte, whatever the files' formats; gradients take their first value (t = 0,
 * as mergekit-pytorch evaluates them); tensors missing from a model are an error, merged from
 * the others (union) or left out (intersection).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { loadModel } from '../io/load-model.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import { folderModelSource, pathResolver } from '../io/node/fs-source.ts';
import { serializeSafetensors } from '../io/safetensors/layout.ts';
import type { ModelResolver } from '../io/source.ts';
import { mergeInMemory } from '../engine/test-helpers.ts';
import { loadRawRecipe } from './raw-recipe.ts';
import { runRawMerge } from './run-raw.ts';
import type { RawTensorSet } from './raw-plan.ts';

const ROOT = path.resolve(MODELS_DIR, '../..');
const CODE = 'test-data/tinymix/tinymix-code/model.safetensors';
const MATH = 'test-data/torch-bin/tinymix-math'; // a folder: two .bin shards and their index
const LAW = 'test-data/torch-bin/tinymix-law-legacy/pytorch_model.bin';
const BASE = 'test-data/tinymix/tinymix-base/model.safetensors';

async function rawMerge(text: string, resolve: ModelResolver = pathResolver(ROOT), tensors?: RawTensorSet) {
  const sink = memorySink();
  const logs: string[] = [];
  const result = await runRawMerge({
    recipe: loadRawRecipe(text).recipe,
    recipeText: text,
    resolve,
    sink,
    onLog: (l) => logs.push(l),
    ...(tensors && { tensors }),
  });
  const out = await loadModel(
    blobModelSource('out', new Map([...sink.files, ['config.json', new TextEncoder().encode('{}')]])),
  );
  const bytes = (name: string): Buffer => {
    const t = out.tensors.get(name)!;
    return Buffer.from(sink.files.get(t.file)!.subarray(t.begin, t.end));
  };
  return { result, files: sink.files, out, bytes, logs };
}

/** The model merge of the same recipe with the tinymix folders' names. */
const byName = (text: string): string =>
  text
    .replaceAll(CODE, 'tinymix-code')
    .replaceAll(MATH, 'tinymix-math')
    .replaceAll(LAW, 'tinymix-law')
    .replaceAll(BASE, 'tinymix-base');
const folders: ModelResolver = async (id) => folderModelSource(id, path.join(MODELS_DIR, id));

const TIES = `merge_method: ties
base_model: ${BASE}
models:
  - model: ${CODE}
    parameters: {weight: 0.5, density: 0.6}
  - model: ${MATH}
    parameters: {weight: 0.3, density: [0.7, 0.2]}
  - model: ${LAW}
    parameters:
      weight: [{filter: mlp, value: 0.6}, {value: 0.2}]
      density: 0.5
dtype: bfloat16
`;

describe('merge-studio pytorch', () => {
  it("merges checkpoint files to the model merge's tensors; gradients at t = 0", async () => {
    const raw = await rawMerge(TIES);
    expect([...raw.files.keys()]).toEqual(['model.safetensors']);
    // The model merge with each gradient's first value: the same at every layer.
    const model = await mergeInMemory(byName(TIES).replace('[0.7, 0.2]', '0.7'), folders);
    expect([...raw.out.tensors.keys()]).toEqual([...model.out.tensors.keys()]);
    for (const name of model.out.tensors.keys()) {
      expect(raw.bytes(name).equals(Buffer.from(model.bytes(name))), name).toBe(true);
    }
    expect(
      Buffer.from(raw.files.get('model.safetensors')!).equals(
        Buffer.from(model.files.get('model.safetensors')!),
      ),
    ).toBe(true);
    expect(raw.result.layers).toBe(0);
    // And with the gradient as a model merge reads it, the layers differ.
    const graded = await mergeInMemory(byName(TIES), folders);
    expect(
      raw
        .bytes('model.layers.3.mlp.up_proj.weight')
        .equals(Buffer.from(graded.bytes('model.layers.3.mlp.up_proj.weight'))),
    ).toBe(false);
  });

  it('shards as a model merge does', async () => {
    const sink = memorySink();
    await runRawMerge({
      recipe: loadRawRecipe(TIES).recipe,
      resolve: pathResolver(ROOT),
      sink,
      maxShardBytes: 600_000,
    });
    const names = [...sink.files.keys()].sort();
    expect(names).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
  });

  describe('tensors not in every model', () => {
    const partial = new Map<string, Uint8Array>();
    const withoutHead: ModelResolver = async (id, signal) => {
      if (id !== 'no-head') return pathResolver(ROOT)(id, signal);
      if (partial.size === 0) {
        const code = await loadModel(folderModelSource('code', path.join(MODELS_DIR, 'tinymix-code')));
        const tensors = await Promise.all(
          [...code.tensors]
            .filter(([n]) => n !== 'lm_head.weight')
            .map(async ([name, t]) => {
              const src = await code.source.open(t.file);
              return { name, dtype: t.dtype, shape: t.shape, data: await src.read(t.begin, t.end - t.begin) };
            }),
        );
        partial.set('weights.safetensors', serializeSafetensors(tensors));
      }
      return blobModelSource(id, partial);
    };
    const LINEAR = `merge_method: linear
models:
  - model: no-head
    parameters: {weight: 0.5}
  - model: ${MATH}
    parameters: {weight: 0.5}
dtype: bfloat16
`;
    it('are an error that names them and the options', async () => {
      await expect(rawMerge(LINEAR, withoutHead)).rejects.toThrow(
        `tensor lm_head.weight is in ${MATH} but not in no-head: merge only the tensors every model has (--tensor-intersection) or each from the models that have it (--tensor-union)`,
      );
    });
    it('are merged from the models that have them with union', async () => {
      const { bytes } = await rawMerge(LINEAR, withoutHead, 'union');
      const math = await loadModel(folderModelSource('m', path.join(MODELS_DIR, 'tinymix-math')));
      const head = math.tensors.get('lm_head.weight')!;
      const src = await math.source.open(head.file);
      expect(
        bytes('lm_head.weight').equals(Buffer.from(await src.read(head.begin, head.end - head.begin))),
      ).toBe(true);
    });
    it('are left out with intersection, with a warning', async () => {
      const { out, logs } = await rawMerge(LINEAR, withoutHead, 'intersection');
      expect(out.tensors.has('lm_head.weight')).toBe(false);
      expect(out.tensors.size).toBe(38);
      expect(logs).toContain('warning: 1 tensor(s) not in every model were left out (--tensor-intersection)');
    });
  });

  it('refuses what needs a transformers model, with its line', () => {
    expect(() =>
      loadRawRecipe(
        `merge_method: linear\nmodels: [{model: a.bin}, {model: b.bin}]\nparameters: {weight: 1}\ntokenizer_source: union\n`,
      ),
    ).toThrow(
      '4:1: tokenizer_source: a pytorch merge writes tensors only (no config or tokenizer), so tokenizer_source does not apply',
    );
    expect(() =>
      loadRawRecipe(
        `merge_method: passthrough\nslices:\n  - sources: [{model: a.bin, layer_range: [0, 1]}]\n`,
      ),
    ).toThrow(/2:1: slices: a pytorch merge has no slices: it merges every tensor by name/);
    // What every recipe is checked for is checked too.
    expect(() =>
      loadRawRecipe(`merge_method: ties\nmodels: [{model: a.bin, parameters: {weight: 1, densty: 0.5}}]\n`),
    ).toThrow(/densty/);
  });

  it('says which path is missing', async () => {
    await expect(rawMerge(TIES.replace(CODE, 'nowhere/model.bin'))).rejects.toThrow(
      /model 'nowhere\/model\.bin' not found: no file or folder .*nowhere\/model\.bin/,
    );
  });
});
