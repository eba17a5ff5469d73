/**
 * mergekit's recipe-making scripts end to end on the tinymix fixtures: legacy gives the bytes
 * of the same merge written as a recipe; layershuffle's stack holds, layer by layer, the
 * source layers its saved recipe names, the same for the same seed; bakllama stacks its
 * slices and scales only down_proj.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { TINYMIX_TIES } from '../../workers/engine/test-helpers.ts';
import { bakllamaCommand } from './bakllama.ts';
import { layershuffleCommand } from './layershuffle.ts';
import { legacyCommand } from './legacy.ts';
import { mergeCommand } from './merge.ts';

let tmp: string;
let stdout: string[];
const COMMON = ['--models', MODELS_DIR, '--lanes', '0', '--quiet'];

/** A safetensors file's tensors, name to raw bytes. */
async function tensorsOf(file: string): Promise<Map<string, Buffer>> {
  const bytes = await readFile(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { data_offsets: [number, number] }
  >;
  const out = new Map<string, Buffer>();
  for (const [name, t] of Object.entries(header)) {
    if (name !== '__metadata__')
      out.set(name, bytes.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]));
  }
  return out;
}
/** A model folder's tensors, from its single file or every shard of its index. */
async function weightsOf(dir: string): Promise<Map<string, Buffer>> {
  const index = await readFile(path.join(dir, 'model.safetensors.index.json'), 'utf8').catch(() => undefined);
  if (index === undefined) return tensorsOf(path.join(dir, 'model.safetensors'));
  const shards = new Set(
    Object.values((JSON.parse(index) as { weight_map: Record<string, string> }).weight_map),
  );
  const all = new Map<string, Buffer>();
  for (const shard of shards) for (const [k, v] of await tensorsOf(path.join(dir, shard))) all.set(k, v);
  return all;
}
const source = (model: string) => weightsOf(path.join(MODELS_DIR, model));

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-generators-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (stdout.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockReturnValue(true);
  return () => vi.restoreAllMocks();
});

describe('legacy', () => {
  it('merges to the same bytes as the recipe it stands for', async () => {
    await writeFile(path.join(tmp, 'ties.yml'), TINYMIX_TIES);
    await mergeCommand([path.join(tmp, 'ties.yml'), path.join(tmp, 'recipe'), ...COMMON]);
    const out = path.join(tmp, 'legacy');
    const args = ['--merge', 'tinymix-code', '--merge', 'tinymix-math', '--base-model', 'tinymix-base'];
    await legacyCommand([
      out,
      ...args,
      '--density',
      '0.5',
      '--weight',
      '0.5',
      '--bf16',
      '--print-yaml',
      ...COMMON,
    ]);
    expect(await weightsOf(out)).toEqual(await weightsOf(path.join(tmp, 'recipe')));
    expect(stdout.join('')).toContain('merge_method: ties');
    expect(parse(await readFile(path.join(out, 'mergekit_config.yml'), 'utf8'))).toMatchObject({
      merge_method: 'ties',
      base_model: 'tinymix-base',
      dtype: 'bfloat16',
    });
  });

  it('refuses what the method cannot take before reading a model', async () => {
    await expect(
      legacyCommand([path.join(tmp, 'no'), '--merge', 'tinymix-code', '--method', 'slerp', ...COMMON]),
    ).rejects.toThrow(/exactly one --weight/);
    await expect(stat(path.join(tmp, 'no'))).rejects.toThrow();
  });
});

describe('layershuffle', () => {
  const models = ['-m', 'tinymix-code', '-m', 'tinymix-math', '-m', 'tinymix-law'];

  it('each output layer is the source layer its saved recipe names; the same seed draws the same stack', async () => {
    const out = path.join(tmp, 'shuffled');
    await layershuffleCommand([out, ...models, '--seed', '9', ...COMMON]);
    const recipe = parse(await readFile(path.join(out, 'mergekit_config.yml'), 'utf8')) as {
      slices: { sources: { model: string; layer_range: [number, number] }[] }[];
    };
    const merged = await weightsOf(out);
    let layer = 0;
    for (const s of recipe.slices) {
      const { model, layer_range } = s.sources[0]!;
      const from = await source(model);
      for (let l = layer_range[0]; l < layer_range[1]; l++, layer++) {
        expect(layer).toBe(l); // layer i of some model, in place
        for (const [name, bytes] of from) {
          if (name.startsWith(`model.layers.${l}.`)) {
            expect(merged.get(name.replace(`layers.${l}.`, `layers.${layer}.`))).toEqual(bytes);
          }
        }
      }
    }
    expect(layer).toBe(4);
    const again = path.join(tmp, 'again.yml');
    await layershuffleCommand([
      path.join(tmp, 'unused'),
      ...models,
      '--seed',
      '9',
      '--dry-run',
      '--write-yaml',
      again,
      ...COMMON,
    ]);
    expect(await readFile(again, 'utf8')).toBe(await readFile(path.join(out, 'mergekit_config.yml'), 'utf8'));
    await expect(stat(path.join(tmp, 'unused'))).rejects.toThrow(); // --dry-run merges nothing
  });

  it('--full-random stacks single layers; weights count per model', async () => {
    const out = path.join(tmp, 'full');
    await layershuffleCommand([
      out,
      '-m',
      'tinymix-code',
      '-m',
      'tinymix-law',
      '-w',
      '0.5',
      '-w',
      '1',
      '--full-random',
      '--seed',
      '2',
      ...COMMON,
    ]);
    const recipe = parse(await readFile(path.join(out, 'mergekit_config.yml'), 'utf8')) as {
      slices: { sources: { model: string }[] }[];
    };
    expect(recipe.slices.filter((s) => s.sources[0]!.model === 'tinymix-code')).toHaveLength(2);
    expect(recipe.slices.filter((s) => s.sources[0]!.model === 'tinymix-law')).toHaveLength(4);
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8')) as {
      num_hidden_layers: number;
    };
    expect(config.num_hidden_layers).toBe(6);
  });

  it('refuses a weight count that does not match', async () => {
    await expect(layershuffleCommand([path.join(tmp, 'w'), ...models, '-w', '1', ...COMMON])).rejects.toThrow(
      /1 weights for 3 models/,
    );
  });
});

describe('bakllama', () => {
  it('stacks the slices; scale multiplies down_proj only', async () => {
    const config = path.join(tmp, 'bak.yml');
    await writeFile(
      config,
      'layer_slices:\n  - {model: tinymix-code, start: 0, end: 2}\n  - {model: tinymix-math, start: 3, end: 4, scale: 0.5}\n',
    );
    const out = path.join(tmp, 'bak');
    await bakllamaCommand([config, out, ...COMMON]);
    const merged = await weightsOf(out);
    const code = await source('tinymix-code');
    const math = await source('tinymix-math');
    expect(merged.get('model.embed_tokens.weight')).toEqual(code.get('model.embed_tokens.weight'));
    expect(merged.get('lm_head.weight')).toEqual(math.get('lm_head.weight'));
    expect(merged.get('model.layers.1.self_attn.q_proj.weight')).toEqual(
      code.get('model.layers.1.self_attn.q_proj.weight'),
    );
    expect(merged.get('model.layers.2.mlp.up_proj.weight')).toEqual(
      math.get('model.layers.3.mlp.up_proj.weight'),
    );
    // bf16(f32(x) * 0.5), rounded to nearest even, as torch scales a bf16 tensor.
    const down = math.get('model.layers.3.mlp.down_proj.weight')!;
    const halved = Buffer.from(down);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < halved.length; i += 2) {
      u[0] = halved.readUInt16LE(i) << 16;
      f[0] = f[0]! * 0.5;
      halved.writeUInt16LE((u[0]! + 0x7fff + ((u[0]! >>> 16) & 1)) >>> 16, i);
    }
    expect(halved).not.toEqual(down);
    expect(merged.get('model.layers.2.mlp.down_proj.weight')).toEqual(halved);
    expect(merged.size).toBe(code.size - 9); // 3 layers of 9 tensors where tinymix has 4
  });
});
