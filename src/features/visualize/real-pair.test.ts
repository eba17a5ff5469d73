import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMerge } from '../../../workers/engine/run-merge.ts';
import { loadModel, type LoadedModel } from '../../../workers/io/load-model.ts';
import { blobModelSource, memorySink } from '../../../workers/io/memory.ts';
import { folderModelSource, folderResolver } from '../../../workers/io/node/fs-source.ts';
import { slerpCoefficients } from '../../../workers/methods/slerp.ts';
import { norm } from '../../../workers/methods/shared/vec.ts';
import { loadRecipe } from '../../../workers/plan/recipe-yaml.ts';
import { layerAngles, layerOf, layerPosition, layerTensors } from './layer-angles.ts';
import { placePair, ZeroTensorError } from './real-pair.ts';
import { angleOf, lerpAt, slerpAt } from './sphere-geometry.ts';
import { readWholeTensor } from './tensor-region.ts';

const TINYMIX = path.resolve(import.meta.dirname, '../../../test-data/tinymix');
const open = (id: string): Promise<LoadedModel> => loadModel(folderModelSource(id, path.join(TINYMIX, id)));
const Q1 = 'model.layers.1.self_attn.q_proj.weight';

describe('placePair', () => {
  it('draws two vectors at their true angle and relative norms (hand-checkable)', () => {
    const p = placePair(Float32Array.of(3, 0, 0, 0), Float32Array.of(0, 4, 0, 0));
    expect(p.degrees).toBeCloseTo(90, 6);
    expect([p.normA, p.normB, p.scale]).toEqual([3, 4, 4]);
    expect(norm(p.a3)).toBeCloseTo(0.75, 6);
    expect(norm(p.b3)).toBeCloseTo(1, 6);
    // Symmetric about longitude 0: A at -45 degrees, B at +45.
    expect(p.a3[0]).toBeCloseTo(0.75 * Math.SQRT1_2, 6);
    expect(p.a3[1]).toBeCloseTo(-0.75 * Math.SQRT1_2, 6);
    expect(p.b3[1]).toBeCloseTo(Math.SQRT1_2, 6);
    // A vector of the plane keeps its length in the picture.
    expect(norm(p.place(Float32Array.of(1.5, 2, 0, 0)))).toBeCloseTo(2.5 / 4, 6);
  });

  it('refuses a tensor of zeros with a message that says what to do', () => {
    expect(() => placePair(new Float32Array(3), Float32Array.of(1, 0, 0))).toThrow(ZeroTensorError);
    expect(() => placePair(new Float32Array(3), Float32Array.of(1, 0, 0))).toThrow(/pick another tensor/);
  });
});

describe('real tensors of the tinymix models', () => {
  it('the view’s angle is the one the engine’s SLERP merge uses, and its SLERP result is the merge’s output', async () => {
    const [base, code] = await Promise.all([open('tinymix-base'), open('tinymix-code')]);
    const a = (await readWholeTensor(base, Q1)).values;
    const b = (await readWholeTensor(code, Q1)).values;
    const pair = placePair(a, b);
    expect(pair.degrees).toBeGreaterThan(5);
    expect(pair.degrees).toBeLessThan(20);
    expect(pair.fallsBackToLerp).toBe(false);

    const text =
      'merge_method: slerp\nbase_model: tinymix-base\nmodels:\n  - model: tinymix-base\n  - model: tinymix-code\nparameters: {t: 0.3}\ndtype: float32\n';
    const sink = memorySink();
    await runMerge({ recipe: loadRecipe(text).recipe, resolve: folderResolver(TINYMIX), sink });
    const merged = await loadModel(blobModelSource('merged', sink.files));
    const out = (await readWholeTensor(merged, Q1)).values;

    // The engine's output is s0 A + s1 B with the coefficients of the view's angle...
    const { s0, s1 } = slerpCoefficients(0.3, Math.cos((pair.degrees * Math.PI) / 180));
    let worst = 0;
    for (let i = 0; i < out.length; i++)
      worst = Math.max(worst, Math.abs(out[i]! - (s0 * a[i]! + s1 * b[i]!)));
    expect(worst).toBeLessThan(1e-6);
    // ...and exactly what the view's kernel call gives.
    expect(slerpAt(a, b, 0.3)).toEqual(out);

    // The picture is exact: the merged tensor lies in the plane of A and B, with its true norm.
    const placed = pair.place(out);
    expect(norm(placed) * pair.scale).toBeCloseTo(norm(out), 4);
    const lerp = lerpAt(a, b, 0.3);
    expect(norm(pair.place(lerp)) * pair.scale).toBeCloseTo(norm(lerp), 4);
    // The picture's points, run through the same kernels, give the full tensors' norms.
    expect(norm(slerpAt(pair.a3, pair.b3, 0.3)) * pair.scale).toBeCloseTo(norm(out), 4);
  });

  it('angle per layer: one value per layer, each the slerp kernel’s own', async () => {
    const [base, math] = await Promise.all([open('tinymix-base'), open('tinymix-math')]);
    expect(layerOf(base, Q1)).toEqual({ layer: 1, suffix: 'self_attn.q_proj.weight' });
    expect(layerOf(base, 'model.norm.weight')).toBeUndefined();
    expect(layerPosition(base, Q1)).toBeCloseTo(1 / 3, 9);
    expect(layerPosition(base, 'model.embed_tokens.weight')).toBe(0);
    const { names, bytes } = layerTensors(base, math, 'self_attn.q_proj.weight');
    expect(names).toHaveLength(4);
    expect(bytes).toBe(4 * 2 * 128 * 128 * 2);
    const angles = await layerAngles(base, math, 'self_attn.q_proj.weight');
    expect(angles.map((x) => x.layer)).toEqual([0, 1, 2, 3]);
    const a = (await readWholeTensor(base, Q1)).values;
    const b = (await readWholeTensor(math, Q1)).values;
    expect(angles[1]!.degrees).toBe(angleOf(a, b).degrees);
    // Layer norms barely move in fine-tuning: SLERP falls back to LERP there.
    const norms = await layerAngles(base, math, 'input_layernorm.weight');
    expect(norms.every((x) => x.fallsBackToLerp && x.degrees < 1)).toBe(true);
  });
});
