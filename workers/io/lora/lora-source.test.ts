/**
 * The adapted model as a source: any byte range reads the same bytes as the whole file,
 * Conv1D weights (fan_in_fan_out) take the transposed delta, the revision follows both
 * parts, and what cannot be merged as PEFT merges it is refused before any tensor is read.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../../scripts/lib/golden.ts';
import { encodeFromF32 } from '../dtypes.ts';
import { loadModel } from '../load-model.ts';
import { blobModelSource } from '../memory.ts';
import { serializeSafetensors } from '../safetensors/layout.ts';
import { SourceError, type ByteSource, type ModelResolver, type ModelSource } from '../source.ts';
import { LoraAdapterError } from './lora-errors.ts';
import {
  adapterFiles,
  BASE_CONFIG,
  factor,
  folderFiles,
  linearPair,
  referenceMerge,
  type Factor,
} from './test-helpers.ts';
import { withAdapters } from './with-adapters.ts';

const baseFiles = await folderFiles(path.join(MODELS_DIR, 'tinymix-base'));

type Files = Map<string, Uint8Array>;

/** Reads of every model.safetensors / adapter_model.safetensors, as [file, offset]. */
const reads: [string, number][] = [];

/** A source whose weight files record their reads. */
function recording(source: ModelSource): ModelSource {
  return {
    ...source,
    listFiles: (s) => source.listFiles(s),
    readFile: (p, s, m) => source.readFile(p, s, m),
    async open(p, s): Promise<ByteSource> {
      const src = await source.open(p, s);
      return {
        name: src.name,
        size: src.size,
        read(offset, length, signal) {
          reads.push([src.name, offset]);
          return src.read(offset, length, signal);
        },
      };
    },
  };
}

function resolver(models: Record<string, Files>): ModelResolver {
  return withAdapters((id) => {
    const files = models[id];
    return files
      ? Promise.resolve(recording(blobModelSource(id, files)))
      : Promise.reject(new SourceError(`no model ${id}`));
  });
}

const qv: Factor[] = [];
for (const l of [0, 1, 2, 3]) {
  qv.push(...linearPair(`model.layers.${l}.self_attn.q_proj`, 2, 128, 128, 'BF16', 10 * l));
  qv.push(...linearPair(`model.layers.${l}.self_attn.v_proj`, 2, 128, 64, 'BF16', 10 * l + 5));
}
const QV = adapterFiles(BASE_CONFIG, qv);

const bf16Weight = (name: string, shape: [number, number], seed: number): Factor =>
  factor(name, shape, 'BF16', seed);

/** tinymix-base with the adapter `files`. */
const adapted = (files: Files): Promise<ModelSource> =>
  resolver({ 'tinymix-base': baseFiles, lora: files })('tinymix-base+lora');

/** Expects tinymix-base+files to be refused with `message`, having read only headers. */
async function refused(files: Files, message: RegExp, base: Files = baseFiles): Promise<void> {
  reads.length = 0;
  const err = await resolver({ 'tinymix-base': base, bad: files })('tinymix-base+bad').catch(
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LoraAdapterError);
  expect((err as Error).message).toMatch(message);
  // Only header reads: the first block and, at most, the header itself from byte 8.
  expect(
    reads.every(([, offset]) => offset === 0 || offset === 8),
    JSON.stringify(reads),
  ).toBe(true);
}

/** tinymix-base with its head tied to its embeddings, as such checkpoints are: no lm_head.weight. */
async function tiedBase(): Promise<Files> {
  const m = await loadModel(blobModelSource('b', baseFiles));
  const bytes = baseFiles.get('model.safetensors')!;
  const config = JSON.parse(new TextDecoder().decode(baseFiles.get('config.json'))) as object;
  const tensors = [...m.tensors].filter(([name]) => name !== 'lm_head.weight');
  return new Map([
    ...baseFiles,
    ['config.json', new TextEncoder().encode(JSON.stringify({ ...config, tie_word_embeddings: true }))],
    [
      'model.safetensors',
      serializeSafetensors(
        tensors.map(([name, t]) => ({
          name,
          dtype: t.dtype,
          shape: [...t.shape],
          data: bytes.subarray(t.begin, t.end),
        })),
      ),
    ],
  ]);
}

const withConfig = (extra: Record<string, unknown>): Files => adapterFiles({ ...BASE_CONFIG, ...extra }, qv);

describe('the adapted model as a source', () => {
  it('reads any range, aligned or not, as the same bytes as the whole file', async () => {
    const model = await adapted(QV);
    const file = await model.open('model.safetensors');
    const whole = await file.read(0, file.size);
    const base = await loadModel(blobModelSource('b', baseFiles));
    const q0 = base.tensors.get('model.layers.0.self_attn.q_proj.weight')!;
    const v0 = base.tensors.get('model.layers.0.self_attn.v_proj.weight')!;
    const ranges: [number, number][] = [
      [q0.begin, 256], // one row
      [q0.begin + 1, 101], // starts and ends inside elements
      [q0.begin + 300, 3], // inside one row, odd
      [q0.end - 7, v0.begin - q0.end + 20], // the end of q_proj into v_proj
      [q0.begin - 33, 70], // from the tensor before into q_proj
      [v0.end - 1, 1], // the last byte of v_proj
    ];
    for (const [offset, length] of ranges) {
      expect(await file.read(offset, length)).toEqual(whole.subarray(offset, offset + length));
      const into = new Uint8Array(length);
      await file.readInto!(offset, into);
      expect(into).toEqual(whole.subarray(offset, offset + length));
    }
    // The patched bytes are those of the adapted model, not the base's.
    expect(whole.subarray(q0.begin, q0.end)).not.toEqual(
      baseFiles.get('model.safetensors')!.subarray(q0.begin, q0.end),
    );
  });

  it('Conv1D weights (fan_in_fan_out) take the transposed delta; a Linear keeps its own orientation', async () => {
    // A GPT-2-like base: c_attn is Conv1D (in 8, out 24), c_proj a square Conv1D, score an nn.Linear (out 3, in 8).
    const weights = [
      bf16Weight('transformer.h.0.attn.c_attn.weight', [8, 24], 1),
      bf16Weight('transformer.h.0.attn.c_proj.weight', [8, 8], 2),
      bf16Weight('score.weight', [3, 8], 3),
    ];
    const gpt = new Map([
      [
        'config.json',
        new TextEncoder().encode(
          '{"model_type": "gpt2", "architectures": ["GPT2ForSequenceClassification"]}',
        ),
      ],
      [
        'model.safetensors',
        serializeSafetensors(
          weights.map((x) => ({
            name: x.name,
            dtype: 'BF16',
            shape: [...x.shape],
            data: encodeFromF32(x.values, 'BF16'),
          })),
        ),
      ],
    ]);
    const pairs = [
      linearPair('transformer.h.0.attn.c_attn', 2, 8, 24, 'F32', 20),
      linearPair('transformer.h.0.attn.c_proj', 2, 8, 8, 'F32', 30),
      linearPair('score', 2, 8, 3, 'F32', 40),
    ];
    const files = adapterFiles(
      { ...BASE_CONFIG, fan_in_fan_out: true, target_modules: ['c_attn', 'c_proj', 'score'] },
      pairs.flat(),
    );
    const model = await loadModel(await resolver({ gpt, lora: files })('gpt+lora'));
    const file = await model.source.open('model.safetensors');
    for (const [k, x] of weights.entries()) {
      const t = model.tensors.get(x.name)!;
      const [a, b] = pairs[k]!;
      const [rows, cols] = x.shape;
      const want = referenceMerge(encodeFromF32(x.values, 'BF16'), rows, cols, a, b, 2, 'linear', k < 2);
      expect(await file.read(t.begin, t.end - t.begin), x.name).toEqual(want);
    }
  });

  it('adapts a sharded base (tinymix-math, two shards and an index)', async () => {
    const mathFiles = await folderFiles(path.join(MODELS_DIR, 'tinymix-math'));
    const math = await loadModel(blobModelSource('tinymix-math', mathFiles));
    const model = await loadModel(
      await resolver({ 'tinymix-math': mathFiles, lora: QV })('tinymix-math+lora'),
    );
    expect(new Set([...model.tensors.values()].map((t) => t.file)).size).toBe(2);
    for (const [name, t] of model.tensors) {
      const file = await model.source.open(t.file);
      const got = await file.read(t.begin, t.end - t.begin);
      const own = mathFiles.get(t.file)!.subarray(t.begin, t.end);
      const k = qv.findIndex(
        (f) => f.name === `base_model.model.${name.replace(/\.weight$/, '')}.lora_A.weight`,
      );
      if (k < 0) {
        expect(Buffer.from(got).equals(own), name).toBe(true);
        continue;
      }
      const [rows, cols] = math.tensors.get(name)!.shape as [number, number];
      const want = referenceMerge(own, rows, cols, qv[k]!, qv[k + 1]!, 2, 'linear', false);
      expect(Buffer.from(got).equals(want), name).toBe(true);
    }
  });

  it('has a revision that changes with the adapter', async () => {
    const one = await adapted(QV);
    const other = await adapted(adapterFiles({ ...BASE_CONFIG, lora_alpha: 8 }, qv));
    expect(one.revision).toBeDefined();
    expect(one.revision).not.toBe(other.revision);
    expect((await adapted(QV)).revision).toBe(one.revision);
  });
});

describe('modules_to_save: whole modules the adapter replaces', () => {
  // F32 values in the file: the base is BF16, so they are rounded as PEFT's copy into the module rounds them.
  const head = factor('base_model.model.lm_head.weight', [260, 128], 'F32', 7);
  const norm = factor('base_model.model.model.norm.weight', [1, 128], 'BF16', 8);
  const normFlat = { ...norm, shape: [128] as unknown as [number, number] };

  it("reads the adapter's tensors in place of the base's, in the base's dtype, and the deltas elsewhere", async () => {
    const files = adapterFiles({ ...BASE_CONFIG, modules_to_save: ['lm_head', 'norm'] }, [
      ...qv,
      head,
      normFlat,
    ]);
    const model = await adapted(files);
    const base = await loadModel(blobModelSource('b', baseFiles));
    const file = await model.open('model.safetensors');
    const whole = await file.read(0, file.size);
    const at = (name: string) => {
      const t = base.tensors.get(name)!;
      return whole.subarray(t.begin, t.end);
    };
    expect(at('lm_head.weight')).toEqual(encodeFromF32(head.values, 'BF16'));
    expect(at('model.norm.weight')).toEqual(encodeFromF32(norm.values, 'BF16'));
    // A range inside the head, starting and ending inside elements, reads the same bytes.
    const h = base.tensors.get('lm_head.weight')!;
    expect(await file.read(h.begin + 3, 999)).toEqual(whole.subarray(h.begin + 3, h.begin + 1002));
    // The LoRA modules are still patched, the rest is the base's.
    const q0 = base.tensors.get('model.layers.0.self_attn.q_proj.weight')!;
    const plain = await (await adapted(QV)).open('model.safetensors');
    expect(whole.subarray(q0.begin, q0.end)).toEqual(await plain.read(q0.begin, q0.end - q0.begin));
    expect(whole.subarray(q0.begin, q0.end)).not.toEqual(
      baseFiles.get('model.safetensors')!.subarray(q0.begin, q0.end),
    );
    const e = base.tensors.get('model.embed_tokens.weight')!;
    expect(at('model.embed_tokens.weight')).toEqual(
      baseFiles.get('model.safetensors')!.subarray(e.begin, e.end),
    );
  });

  it('an adapter of saved modules only, and the names PEFT may save them under', async () => {
    const wrapped = { ...head, name: 'base_model.model.lm_head.modules_to_save.default.weight' };
    const model = await adapted(adapterFiles({ ...BASE_CONFIG, modules_to_save: ['lm_head'] }, [wrapped]));
    const base = await loadModel(blobModelSource('b', baseFiles));
    const h = base.tensors.get('lm_head.weight')!;
    const file = await model.open('model.safetensors');
    expect(await file.read(h.begin, h.end - h.begin)).toEqual(encodeFromF32(head.values, 'BF16'));
  });

  it('refuses a resized vocabulary, a head tied to the saved embeddings, and factors on a saved module', async () => {
    const bigger = factor('base_model.model.lm_head.weight', [264, 128], 'BF16', 1);
    await refused(
      adapterFiles({ ...BASE_CONFIG, modules_to_save: ['lm_head'] }, [...qv, bigger]),
      /saves lm_head\.weight with shape \[264, 128\], where tinymix-base has \[260, 128\] \(a resized vocabulary: tokens added in training\)/,
    );
    const embed = factor('base_model.model.model.embed_tokens.weight', [260, 128], 'BF16', 2);
    await refused(
      adapterFiles({ ...BASE_CONFIG, modules_to_save: ['embed_tokens'] }, [...qv, embed]),
      /saves model\.embed_tokens\.weight whole \(modules_to_save\), but tinymix-base ties its output head to it/,
      await tiedBase(),
    );
    await refused(
      adapterFiles({ ...BASE_CONFIG, modules_to_save: ['q_proj'] }, qv),
      /model\.layers\.0\.self_attn\.q_proj has LoRA factors but adapter_config\.json lists it in modules_to_save/,
    );
  });
});

describe('refusals, before any tensor data is read', () => {
  it('LoRA variants and options that change the merge', async () => {
    await refused(withConfig({ use_dora: true }), /DoRA \(use_dora\)/);
    await refused(withConfig({ bias: 'all' }), /bias "all"/);
    await refused(withConfig({ peft_type: 'IA3' }), /only LoRA adapters/);
    await refused(withConfig({ init_lora_weights: 'pissa' }), /changes the base weights/);
    await refused(withConfig({ layer_replication: [[0, 2]] }), /layer_replication/);
  });

  it('tensors that are not LoRA factors', async () => {
    const lmHead = factor('base_model.model.lm_head.weight', [260, 128], 'BF16', 1);
    // Saved whole, but not listed in modules_to_save: PEFT would not load it.
    await refused(adapterFiles(BASE_CONFIG, [...qv, lmHead]), /lm_head\.weight, not a LoRA factor/);
    const magnitude = factor(
      'base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector',
      [1, 128],
      'F32',
      1,
    );
    await refused(adapterFiles(BASE_CONFIG, [...qv, magnitude]), /a DoRA magnitude/);
    await refused(adapterFiles(BASE_CONFIG, qv.slice(1)), /q_proj has lora_B but no lora_A/);
    // The same factor twice (with and without PEFT's prefix): which one PEFT loads is not ours to guess.
    const twice = factor('model.layers.0.self_attn.q_proj.lora_A.weight', [2, 128], 'BF16', 3);
    await refused(
      adapterFiles(BASE_CONFIG, [...qv, twice]),
      /has two lora_A factors for model\.layers\.0\.self_attn\.q_proj/,
    );
  });

  it('tensor names longer than any module has (they are matched against patterns)', async () => {
    const long = linearPair(`model.${'x'.repeat(600)}`, 2, 128, 128, 'BF16', 1);
    await refused(
      adapterFiles({ ...BASE_CONFIG, target_modules: '.*' }, [...qv, ...long]),
      /has a tensor name of 6\d\d characters \(base_model\.model\.model\.x{41}…\), over the 512/,
    );
  });

  it('a LoRA on a head the base ties to its embeddings', async () => {
    const head = linearPair('lm_head', 2, 128, 260, 'BF16', 50);
    await refused(
      adapterFiles({ ...BASE_CONFIG, target_modules: ['q_proj', 'v_proj', 'lm_head'] }, [...qv, ...head]),
      /tinymix-base ties lm_head to its input embeddings \(it has no lm_head\.weight\)/,
      await tiedBase(),
    );
  });

  it('factors that do not fit the base or the config', async () => {
    const stray = linearPair('model.layers.7.self_attn.q_proj', 2, 128, 128, 'BF16', 1);
    await refused(
      adapterFiles(BASE_CONFIG, [...qv, ...stray]),
      /tinymix-base has no tensor model\.layers\.7\.self_attn\.q_proj\.weight/,
    );
    const wide = linearPair('model.layers.0.self_attn.q_proj', 2, 100, 128, 'BF16', 1);
    await refused(adapterFiles(BASE_CONFIG, [...wide, ...qv.slice(2)]), /shape \[128, 128\] does not fit/);
    await refused(withConfig({ r: 4 }), /not rank 4/);
    await refused(
      withConfig({ target_modules: ['q_proj'] }),
      /target_modules do not name model\.layers\.0\.self_attn\.v_proj/,
    );
  });

  it('no adapter, or a damaged adapter_model.bin', async () => {
    await refused(
      new Map([['adapter_model.safetensors', QV.get('adapter_model.safetensors')!]]),
      /has no adapter_config\.json/,
    );
    await refused(new Map(baseFiles), /is a model, not a LoRA adapter/);
    await refused(
      new Map([['adapter_config.json', QV.get('adapter_config.json')!]]),
      /has no adapter_model\.safetensors \(nor adapter_model\.bin\)/,
    );
    const pickle = new Map([
      ['adapter_config.json', QV.get('adapter_config.json')!],
      ['adapter_model.bin', new Uint8Array(8)],
    ]);
    await expect(resolver({ 'tinymix-base': baseFiles, bad: pickle })('tinymix-base+bad')).rejects.toThrow(
      /bad\/adapter_model\.bin: is not a PyTorch checkpoint \(neither a ZIP archive nor a pickle\)/,
    );
  });
});
