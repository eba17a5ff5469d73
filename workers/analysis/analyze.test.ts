import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderResolver } from '../io/node/fs-source.ts';
import { loadModel } from '../io/load-model.ts';
import { decodeToF32 } from '../io/dtypes.ts';
import type { Recipe } from '../plan/recipe.ts';
import { analyzeRecipe, moduleName, moduleOrder, pairOf } from './analyze.ts';
import { countingResolver, tinyModel, type Values } from './test-helpers.ts';

const TINYMIX = path.resolve(import.meta.dirname, '../../test-data/tinymix');

const ties = (models: string[], density = 0.5): Recipe => ({
  merge_method: 'ties',
  base_model: 'base',
  models: models.map((model) => ({ model, parameters: { weight: 1, density } })),
});

/** base = 1 everywhere; a fine-tune adds `delta(i)` to every layer tensor. */
const plus =
  (delta: (i: number) => number): Values =>
  (_l, _m, i) =>
    1 + delta(i);

/** Varies by layer and position, so reading other rows than the base's would show. */
const values: Values = (l, _m, i) => 1 + ((i * 7 + l) % 5);

describe('analysis of hand-made models', () => {
  it('finds opposed task vectors, sign conflicts, a dominant model and an unchanged one', async () => {
    const { resolve } = countingResolver([
      tinyModel('base', 2, () => 1),
      tinyModel(
        'up',
        2,
        plus(() => 0.5),
      ),
      tinyModel(
        'down',
        2,
        plus(() => -0.1),
      ),
      tinyModel('same', 2, () => 1),
    ]);
    const r = await analyzeRecipe(ties(['up', 'down']), resolve);
    expect(r.layers).toEqual([0, 1]);
    expect(r.modules).toEqual(['self_attn.q_proj', 'mlp.down_proj', 'input_layernorm']);
    expect(r.rowFraction).toBe(1);
    const q0 = r.tensors.find((t) => t.tensor === 'model.layers.0.self_attn.q_proj.weight')!;
    expect(q0.metrics.cosine).toBeCloseTo(-1, 6);
    expect(q0.metrics.signConflict).toBe(1);
    // |delta| = 0.5 and 0.1 over 32 entries; |base| = sqrt(32)
    expect(q0.perModel.map((p) => p.relNorm)).toEqual([expect.closeTo(0.5, 6), expect.closeTo(0.1, 6)]);
    expect(q0.metrics.normShare).toBeCloseTo(0.5 / 0.6, 6);
    expect(q0.dominant).toBe('up');
    // all entries equal: TIES keeps trunc(0.5 * 32) = 16, the lowest indices; half the energy goes
    expect(q0.perModel[0]).toMatchObject({
      density: 0.5,
      trimmed: 0.5,
      trimmedEnergy: expect.closeTo(0.5, 6),
    });
    // the angle between up (1.5) and down (0.9) everywhere is 0: colinear, SLERP would lerp
    expect(q0.metrics.slerpDegrees).toBeCloseTo(0, 2);
    expect(q0.slerpLerp).toBe(true);
    const kinds = r.warnings.map((w) => `${w.kind}:${w.tensors}`);
    expect(kinds).toEqual(['opposed:6', 'dominant:6', 'sign-conflict:6']);
    const dominant = r.warnings.find((w) => w.kind === 'dominant')!;
    expect(dominant.message).toContain(
      'up dominates: its task vector is at least 3x the next largest in 6 of 6 tensors (up to 5.0x',
    );
    const same = await analyzeRecipe(ties(['up', 'same']), resolve);
    expect(same.warnings.find((w) => w.kind === 'unchanged')?.message).toBe(
      'same equals base in 6 of 6 tensors (all analysed): it adds nothing there.',
    );
  });

  it('flags a model that drifted far from the base, and one unrelated to the other', async () => {
    const { resolve } = countingResolver([
      tinyModel('base', 1, (_l, _m, i) => (i % 2 ? 1 : -1)),
      tinyModel('far', 1, (_l, _m, i) => (i % 4 < 2 ? 1 : -1)), // orthogonal to the base
      tinyModel('near', 1, (_l, _m, i) => (i % 2 ? 1.1 : -1)),
    ]);
    const r = await analyzeRecipe(ties(['far', 'near']), resolve);
    expect(r.slerpPair).toEqual(['far', 'near']);
    const kinds = r.warnings.map((w) => w.kind);
    expect(kinds).toContain('far-apart');
    expect(kinds).toContain('unrelated');
    expect(r.warnings.find((w) => w.kind === 'far-apart')!.message).toMatch(
      /^far drifted far from base: .* in 3 of 3 tensors/,
    );
  });

  it('reads a sample of layers and rows of a big model, the same rows of each model', async () => {
    const { resolve } = countingResolver([
      tinyModel('base', 10, values),
      tinyModel('a', 10, (l, m, i) => values(l, m, i) + 0.5),
      tinyModel('b', 10, values),
    ]);
    // a layer of the three models is 3 x (32 + 32 + 4) x 4 bytes = 816 bytes
    const r = await analyzeRecipe(ties(['a', 'b']), resolve, { maxBytes: 816, maxLayers: 3 });
    expect(r.layers).toEqual([0, 5, 9]);
    expect(r.rowFraction).toBeCloseTo(1 / 3, 12);
    expect(r.bytesAllLayers).toBe(8160);
    expect(r.bytesRead).toBeLessThan(8160 / 3);
    const q = r.tensors.find((t) => t.tensor === 'model.layers.5.self_attn.q_proj.weight')!;
    expect([q.elements, q.sampled]).toEqual([32, 16]); // 3 of 8 rows wanted: 2 blocks of 2
    // a = base + 0.5: 16 entries of 0.5; b = base: nothing, if the same rows were read
    expect(q.perModel[0]!.norm).toBeCloseTo(2, 6);
    expect(q.perModel[1]!.norm).toBe(0);
  });
});

describe('analysis of tinymix (real files, all layers)', () => {
  it('reads every layer once per model and matches a direct computation', async () => {
    const resolve = folderResolver(TINYMIX);
    const recipe: Recipe = {
      merge_method: 'task_arithmetic',
      base_model: 'tinymix-base',
      models: [
        { model: 'tinymix-code', parameters: { weight: 0.5 } },
        { model: 'tinymix-math', parameters: { weight: 0.5 } },
      ],
    };
    const r = await analyzeRecipe(recipe, resolve, { density: 0.3 });
    expect(r.layers).toEqual([0, 1, 2, 3]);
    expect(r.tensors).toHaveLength(36);
    expect(r.requests).toBe(12); // 4 layers x 3 models: each layer's tensors lie together
    expect(r.bytesRead).toBe(r.bytesAllLayers);
    expect(r.densitySource).toBe('assumed');
    expect(r.tensors[0]!.perModel[0]!.density).toBe(0.3);

    const name = 'model.layers.2.mlp.up_proj.weight';
    const read = async (id: string): Promise<Float32Array> => {
      const m = await loadModel(await resolve(id));
      const t = m.tensors.get(name)!;
      const bytes = await (await m.source.open(t.file)).read(t.begin, t.end - t.begin);
      return decodeToF32(bytes, t.dtype);
    };
    const [b, c, m] = await Promise.all(['tinymix-base', 'tinymix-code', 'tinymix-math'].map(read));
    let dot = 0;
    let nc = 0;
    let nm = 0;
    let bc = 0;
    for (let i = 0; i < b!.length; i++) {
      const dc = c![i]! - b![i]!;
      const dm = m![i]! - b![i]!;
      dot += dc * dm;
      nc += dc * dc;
      nm += dm * dm;
      bc += c![i]! * m![i]!;
    }
    const t = r.tensors.find((x) => x.tensor === name)!;
    expect(t.metrics.cosine).toBeCloseTo(dot / Math.sqrt(nc * nm), 9);
    expect(t.perModel[0]!.norm).toBeCloseTo(Math.sqrt(nc), 9);
    let ncm = 0;
    let nmm = 0;
    for (let i = 0; i < b!.length; i++) {
      ncm += c![i]! ** 2;
      nmm += m![i]! ** 2;
    }
    expect(t.metrics.slerpDegrees).toBeCloseTo((Math.acos(bc / Math.sqrt(ncm * nmm)) * 180) / Math.PI, 6);
    // a healthy family: only the sign-conflict note (code and math were tuned on different data)
    expect(r.warnings.map((w) => w.kind)).toEqual(['sign-conflict']);
  });

  it('measures the SLERP angle from the base for a SLERP recipe', async () => {
    const recipe: Recipe = {
      merge_method: 'slerp',
      base_model: 'tinymix-base',
      models: [{ model: 'tinymix-law' }],
      parameters: { t: 0.5 },
    };
    const r = await analyzeRecipe(recipe, folderResolver(TINYMIX));
    expect(r.slerpPair).toEqual(['tinymix-base', 'tinymix-law']);
    expect(r.tensors.every((t) => t.metrics.cosine === null && t.metrics.slerpDegrees! > 0)).toBe(true);
  });
});

describe('names', () => {
  it('orders modules attention, MLP, norms, then by name', () => {
    expect(moduleName('model.layers.12.self_attn.q_proj.weight')).toBe('self_attn.q_proj');
    expect(moduleName('model.layers.0.self_attn.q_proj.bias')).toBe('self_attn.q_proj.bias');
    const m = [
      'post_attention_layernorm',
      'mlp.down_proj',
      'self_attn.v_proj',
      'zeta',
      'alpha',
      'self_attn.q_proj',
    ];
    expect(m.sort(moduleOrder)).toEqual([
      'self_attn.q_proj',
      'self_attn.v_proj',
      'mlp.down_proj',
      'post_attention_layernorm',
      'alpha',
      'zeta',
    ]);
    expect(pairOf(true, 'b', ['x', 'y'])).toEqual(['b', 'x']);
    expect(pairOf(false, 'b', ['x', 'y'])).toEqual(['x', 'y']);
    expect(pairOf(false, 'b', ['x'])).toEqual(['b', 'x']);
    expect(pairOf(false, undefined, ['x'])).toBeUndefined();
  });
});
