/**
 * `base+adapter` end to end: LoRA adapters built here for tinymix-base, merged by `linear`
 * with weight 1 (so the output is the adapted model), each adapted tensor checked byte for
 * byte against an independent reference of PEFT's merge (./test-helpers.ts), every other
 * tensor against the base's bytes; the same through local folders (the CLI's resolver).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../../scripts/lib/golden.ts';
import { startHubServer } from '../../../server/hub-server.ts';
import { runMerge } from '../../engine/run-merge.ts';
import { loadRecipe } from '../../plan/recipe-yaml.ts';
import { loadModel, type LoadedModel } from '../load-model.ts';
import { blobModelSource, memorySink } from '../memory.ts';
import { hubResolver } from '../hub/hub-resolver.ts';
import { folderResolver } from '../node/fs-source.ts';
import { folderSink } from '../node/fs-sink.ts';
import { SourceError, type ModelResolver } from '../source.ts';
import { folderFiles } from './test-helpers.ts';
import {
  adapterFiles,
  BASE_CONFIG,
  embeddingPair,
  linearPair,
  referenceMerge,
  type Factor,
} from './test-helpers.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'lora-test-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const baseFiles = await folderFiles(path.join(MODELS_DIR, 'tinymix-base'));
const base = await loadModel(blobModelSource('tinymix-base', baseFiles));
const LAYERS = [0, 1, 2, 3];

const baseBytes = (name: string): Uint8Array => {
  const t = base.tensors.get(name)!;
  return baseFiles.get(t.file)!.subarray(t.begin, t.end);
};

/** A resolver for tinymix-base and the given adapters, by name. */
function resolver(adapters: Record<string, Map<string, Uint8Array>>): ModelResolver {
  return (id) => {
    if (id === 'tinymix-base') return Promise.resolve(blobModelSource(id, baseFiles));
    const files = adapters[id];
    return files
      ? Promise.resolve(blobModelSource(id, files))
      : Promise.reject(new SourceError(`no model ${id}`));
  };
}

const recipeFor = (adapter: string): string => `merge_method: linear
models:
  - model: tinymix-base+${adapter}
    parameters: {weight: 1}
dtype: bfloat16
`;

/** The merged model's tensors' bytes, by name. */
async function tensorsOf(id: string, files: Map<string, Uint8Array>): Promise<Map<string, Uint8Array>> {
  const m: LoadedModel = await loadModel(blobModelSource(id, files));
  return new Map([...m.tensors].map(([name, t]) => [name, files.get(t.file)!.subarray(t.begin, t.end)]));
}

async function mergeWith(adapters: Record<string, Map<string, Uint8Array>>, adapter: string) {
  const text = recipeFor(adapter);
  const sink = memorySink();
  await runMerge({ recipe: loadRecipe(text).recipe, recipeText: text, resolve: resolver(adapters), sink });
  return { files: sink.files, tensors: await tensorsOf('out', sink.files) };
}

interface Expected {
  readonly a: Factor;
  readonly b: Factor;
  readonly scaling: number;
  readonly kind: 'linear' | 'embedding';
}

/** Where two byte arrays first differ (-1: equal): a quicker check than a deep toEqual. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.byteLength !== b.byteLength) return Math.min(a.byteLength, b.byteLength);
  const i = a.findIndex((x, k) => x !== b[k]);
  return i;
}

function expectAdapted(out: Map<string, Uint8Array>, expected: ReadonlyMap<string, Expected>): void {
  for (const [name, t] of base.tensors) {
    const e = expected.get(name);
    const got = out.get(name)!;
    if (!e) {
      expect(firstDifference(got, baseBytes(name)), name).toBe(-1);
      continue;
    }
    const [rows, cols] = t.shape as [number, number];
    const want = referenceMerge(
      baseBytes(name),
      rows,
      cols,
      e.a,
      e.b,
      e.scaling,
      e.kind,
      e.kind === 'embedding',
    );
    expect(firstDifference(got, want), name).toBe(-1);
    expect(firstDifference(got, baseBytes(name)), `${name} changed`).not.toBe(-1);
  }
}

// q_proj and v_proj of every layer (bf16 factors) and the token embeddings (float32 factors),
// r = 2, lora_alpha = 4: scaling 2.
const plain: Factor[] = [];
const plainExpected = new Map<string, Expected>();
for (const l of LAYERS) {
  for (const [proj, out] of [
    ['q_proj', 128],
    ['v_proj', 64],
  ] as const) {
    const module = `model.layers.${l}.self_attn.${proj}`;
    const [a, b] = linearPair(module, 2, 128, out, 'BF16', 100 * l + (proj === 'q_proj' ? 0 : 10));
    plain.push(a, b);
    plainExpected.set(`${module}.weight`, { a, b, scaling: 2, kind: 'linear' });
  }
}
const [embA, embB] = embeddingPair('model.embed_tokens', 2, 260, 128, 7);
plain.push(embA, embB);
plainExpected.set('model.embed_tokens.weight', { a: embA, b: embB, scaling: 2, kind: 'embedding' });
const PLAIN = adapterFiles({ ...BASE_CONFIG, target_modules: ['q_proj', 'v_proj', 'embed_tokens'] }, plain);

// rsLoRA on down_proj (in 352, out 128), r = 4, lora_alpha = 8: scaling 8 / sqrt(4) = 4; layer 1
// has alpha 2 from alpha_pattern (scaling 1) and layer 3 rank 2 from rank_pattern (8 / sqrt(2)).
const rs: Factor[] = [];
const rsExpected = new Map<string, Expected>();
for (const l of LAYERS) {
  const module = `model.layers.${l}.mlp.down_proj`;
  const r = l === 3 ? 2 : 4;
  const [a, b] = linearPair(module, r, 352, 128, 'F32', 1000 + 10 * l);
  rs.push(a, b);
  const alpha = l === 1 ? 2 : 8;
  rsExpected.set(`${module}.weight`, { a, b, scaling: alpha / Math.sqrt(r), kind: 'linear' });
}
const RSLORA = adapterFiles(
  {
    ...BASE_CONFIG,
    r: 4,
    lora_alpha: 8,
    use_rslora: true,
    target_modules: ['down_proj'],
    alpha_pattern: { 'layers\\.1\\.mlp\\.down_proj': 2 },
    rank_pattern: { 'model.layers.3.mlp.down_proj': 2 },
  },
  rs,
);

describe('base+adapter merges', () => {
  it('merges a LoRA into tinymix-base as PEFT does: adapted tensors by the reference, the rest unchanged', async () => {
    const { tensors, files } = await mergeWith({ adapter: PLAIN }, 'adapter');
    expectAdapted(tensors, plainExpected);
    // The base's config and tokenizer; the card names the model as the recipe does.
    expect(files.get('tokenizer.json')).toEqual(baseFiles.get('tokenizer.json'));
    expect(new TextDecoder().decode(files.get('README.md'))).toContain('* tinymix-base+adapter');
  });

  it('lora_B biases: ignored without lora_bias, as PEFT ignores them, with a warning; refused with it on a layer without a bias', async () => {
    const q = 'model.layers.0.self_attn.q_proj';
    const factors = [
      ...linearPair(q, 2, 128, 128, 'BF16', 11),
      { name: `base_model.model.${q}.lora_B.bias`, dtype: 'BF16' as const, shape: [128], values: new Float32Array(128).fill(0.5) }, // prettier-ignore
    ];
    const config = { ...BASE_CONFIG, target_modules: ['q_proj'] };
    const text = recipeFor('biased');
    const sink = memorySink();
    const ignored = { biased: adapterFiles(config, factors) };
    const result = await runMerge({ recipe: loadRecipe(text).recipe, recipeText: text, resolve: resolver(ignored), sink }); // prettier-ignore
    expect(result.warnings).toContain(
      `biased changes the biases of 1 module(s) (${q}) as lora_B.bias, but adapter_config.json does not set lora_bias, so PEFT ignores them, and so does this merge; set "lora_bias": true there to apply them`,
    );
    expect([...(await tensorsOf('out', sink.files)).keys()].some((n) => n.endsWith('.bias'))).toBe(false);
    const withBias = { biased: adapterFiles({ ...config, lora_bias: true }, factors) };
    await expect(
      runMerge({
        recipe: loadRecipe(text).recipe,
        recipeText: text,
        resolve: resolver(withBias),
        sink: memorySink(),
      }),
    ).rejects.toThrow(`biased changes ${q}'s bias (lora_bias), but tinymix-base has no ${q}.bias`);
  });

  it('rsLoRA, rank_pattern and alpha_pattern', async () => {
    const { tensors } = await mergeWith({ rs: RSLORA }, 'rs');
    expectAdapted(tensors, rsExpected);
  });

  it('reads through a local folder resolver (the CLI) and from a hub, to the same bytes', async () => {
    const models = path.join(tmp, 'models');
    await cp(path.join(MODELS_DIR, 'tinymix-base'), path.join(models, 'tinymix-base'), { recursive: true });
    await mkdir(path.join(models, 'my-lora'));
    for (const [name, bytes] of PLAIN) await writeFile(path.join(models, 'my-lora', name), bytes);
    const text = recipeFor('my-lora');
    const out = path.join(tmp, 'out');
    await runMerge({
      recipe: loadRecipe(text).recipe,
      recipeText: text,
      resolve: folderResolver(models),
      sink: folderSink(out),
    });
    const fromFolder = await folderFiles(out);
    const inMemory = await mergeWith({ 'my-lora': PLAIN }, 'my-lora');
    expect(
      firstDifference(fromFolder.get('model.safetensors')!, inMemory.files.get('model.safetensors')!),
    ).toBe(-1);
    expectAdapted(await tensorsOf('out', fromFolder), plainExpected);

    // Both parts from a hub, by range requests, to the same bytes.
    const server = await startHubServer({ root: models });
    try {
      const sink = memorySink();
      await runMerge({ recipe: loadRecipe(text).recipe, resolve: hubResolver({ hubUrl: server.url }), sink });
      expect(
        firstDifference(sink.files.get('model.safetensors')!, fromFolder.get('model.safetensors')!),
      ).toBe(-1);
    } finally {
      await server.close();
    }
  });

  it('from a flaky hub (failed requests, bodies cut short), retried, the delta added once', async () => {
    const models = path.join(tmp, 'flaky');
    await cp(path.join(MODELS_DIR, 'tinymix-base'), path.join(models, 'tinymix-base'), { recursive: true });
    await mkdir(path.join(models, 'my-lora'));
    for (const [name, bytes] of PLAIN) await writeFile(path.join(models, 'my-lora', name), bytes);
    const inMemory = await mergeWith({ 'my-lora': PLAIN }, 'my-lora');
    const text = recipeFor('my-lora');
    const server = await startHubServer({
      root: models,
      failEvery: 5,
      truncateEvery: 3,
      truncateMode: 'cut',
    });
    try {
      const sink = memorySink();
      const resolve = hubResolver({ hubUrl: server.url, retry: { baseMs: 1 } });
      await runMerge({ recipe: loadRecipe(text).recipe, resolve, sink });
      expect(resolve.stats.retries).toBeGreaterThan(2);
      expect(
        firstDifference(sink.files.get('model.safetensors')!, inMemory.files.get('model.safetensors')!),
      ).toBe(-1);
    } finally {
      await server.close();
    }
  });
});
