import { describe, expect, it } from 'vitest';
import { validateRecipe } from '../plan/validate-recipe.ts';
import { GeneratorError } from './errors.ts';
import { layerShuffleRecipe } from './layershuffle.ts';

const A = { id: 'org/a', layers: 8 };
const B = { id: 'org/b', layers: 8 };

const layersOf = (r: ReturnType<typeof layerShuffleRecipe>) =>
  r.slices!.flatMap((s) => {
    const src = s.sources[0]!;
    return Array.from(
      { length: src.layer_range[1] - src.layer_range[0] },
      (_, k) => [src.model, src.layer_range[0] + k] as const,
    );
  });

describe('layershuffle: layer i from a drawn model', () => {
  it('keeps every output layer at its own index, joins runs of one model, and validates', () => {
    const r = layerShuffleRecipe({ models: [A, B], seed: 7 });
    expect(r.merge_method).toBe('passthrough');
    expect(layersOf(r).map(([, l]) => l)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (let i = 1; i < r.slices!.length; i++) {
      expect(r.slices![i]!.sources[0]!.model).not.toBe(r.slices![i - 1]!.sources[0]!.model);
    }
    expect(validateRecipe(r).problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('is the same for the same seed and differs across seeds', () => {
    const one = JSON.stringify(layerShuffleRecipe({ models: [A, B], seed: 1 }));
    expect(JSON.stringify(layerShuffleRecipe({ models: [A, B], seed: 1 }))).toBe(one);
    const others = [2, 3, 4, 5].map((seed) => JSON.stringify(layerShuffleRecipe({ models: [A, B], seed })));
    expect(others.some((o) => o !== one)).toBe(true);
  });

  it('draws in proportion to the weights; weight 0 never', () => {
    const big = [
      { id: 'a', layers: 2000 },
      { id: 'b', layers: 2000 },
    ];
    const counts = (w: number[]) => {
      const c = { a: 0, b: 0 } as Record<string, number>;
      for (const [m] of layersOf(layerShuffleRecipe({ models: big, weights: w, seed: 3 }))) c[m]!++;
      return c;
    };
    const c = counts([3, 1]);
    expect(c['a']! / 2000).toBeGreaterThan(0.7);
    expect(c['a']! / 2000).toBeLessThan(0.8);
    expect(counts([1, 0])).toEqual({ a: 2000, b: 0 });
  });

  it('sets float16 with fp16', () => {
    expect(layerShuffleRecipe({ models: [A], seed: 0, fp16: true }).dtype).toBe('float16');
  });

  it('refuses mismatched weights, negative or all-zero weights, and a model too short for its draw', () => {
    expect(() => layerShuffleRecipe({ models: [A, B], weights: [1], seed: 0 })).toThrow(
      /1 weights for 2 models/,
    );
    expect(() => layerShuffleRecipe({ models: [A, B], weights: [1, -1], seed: 0 })).toThrow(/0 or more/);
    expect(() => layerShuffleRecipe({ models: [A, B], weights: [0, 0], seed: 0 })).toThrow(
      /every weight is 0/,
    );
    expect(() => layerShuffleRecipe({ models: [], seed: 0 })).toThrow(GeneratorError);
    const short = { id: 'org/short', layers: 2 };
    expect(() => layerShuffleRecipe({ models: [A, short], weights: [0, 1], seed: 0 })).toThrow(
      /org\/short has 2 layers, fewer than the first model's 8/,
    );
  });
});

describe('layershuffle --full-random', () => {
  it('takes floor(layers x weight) single layers of each model, from all of its layers, shuffled', () => {
    const r = layerShuffleRecipe({
      models: [A, { id: 'org/c', layers: 4 }],
      weights: [0.5, 1],
      seed: 11,
      fullRandom: true,
    });
    const layers = layersOf(r);
    expect(r.slices!.every((s) => s.sources[0]!.layer_range[1] - s.sources[0]!.layer_range[0] === 1)).toBe(
      true,
    );
    expect(layers.filter(([m]) => m === 'org/a')).toHaveLength(4);
    expect(layers.filter(([m]) => m === 'org/c')).toHaveLength(4);
    for (const [m, l] of layers) expect(l).toBeLessThan(m === 'org/a' ? 8 : 4);
  });

  it('draws from every layer, not only the first floor(layers x weight) (mergekit)', () => {
    const big = { id: 'a', layers: 100 };
    const drawn = layersOf(
      layerShuffleRecipe({ models: [big], weights: [0.5], seed: 5, fullRandom: true }),
    ).map(([, l]) => l);
    expect(Math.max(...drawn)).toBeGreaterThanOrEqual(50);
  });

  it('defaults to equal fractions (1/n each) and refuses weights that take no layer', () => {
    const r = layerShuffleRecipe({ models: [A, B], seed: 0, fullRandom: true });
    expect(r.slices).toHaveLength(8);
    expect(() => layerShuffleRecipe({ models: [A], weights: [0.1], seed: 0, fullRandom: true })).toThrow(
      /take no layer/,
    );
  });
});
