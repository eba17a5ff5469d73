import { describe, expect, it } from 'vitest';
import { conditionNumber, degenerateLayers, degenerateWarning } from './gate-condition.ts';
import { cheapEmbedGates, gatesFromVectors, randomGates } from './gates.ts';

function stats(a: Float32Array): { mean: number; std: number; min: number; max: number } {
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
  return { mean, std, min: Math.min(...a), max: Math.max(...a) };
}

describe('random gates', () => {
  it('random: standard normal draws, seeded, a different stream per layer', () => {
    const g = randomGates('random', 4, 8, 256, 7);
    expect(g).toHaveLength(4);
    expect(g[0]).toHaveLength(8 * 256);
    const s = stats(Float32Array.from(g.flatMap((x) => [...x])));
    expect(Math.abs(s.mean)).toBeLessThan(0.05);
    expect(s.std).toBeGreaterThan(0.95);
    expect(s.std).toBeLessThan(1.05);
    expect(g[1]).not.toEqual(g[0]);
    expect(randomGates('random', 4, 8, 256, 7)).toEqual(g);
    expect(randomGates('random', 4, 8, 256, 8)[0]).not.toEqual(g[0]);
  });

  it("uniform_random: torch.nn.Linear's init, uniform in +-1/sqrt(hidden)", () => {
    const g = randomGates('uniform_random', 2, 8, 256, 0);
    const s = stats(Float32Array.from(g.flatMap((x) => [...x])));
    const bound = 1 / 16;
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeLessThan(bound);
    expect(s.std).toBeCloseTo(bound / Math.sqrt(3), 2);
  });
});

describe('prompt gates', () => {
  it('cheap_embed sums embedding rows, normalises, and repeats the rows for every layer', () => {
    // vocab 3, hidden 2: rows (1,0), (0,1), (3,4).
    const embed = Float32Array.from([1, 0, 0, 1, 3, 4]);
    const g = cheapEmbedGates(embed, 2, [{ positive: [Int32Array.from([0, 1]), Int32Array.from([1])], negative: [] }, { positive: [Int32Array.from([2])], negative: [Int32Array.from([0])] }], 3); // prettier-ignore
    expect(g).toHaveLength(3);
    // (1, 2) / sqrt(5); then (0.6, 0.8) - (1, 0) = (-0.4, 0.8), normalised.
    const s5 = Math.sqrt(5);
    expect([...g[2]!].map((x) => +x.toFixed(6))).toEqual(
      [1 / s5, 2 / s5, -1 / s5, 2 / s5].map((x) => +x.toFixed(6)),
    );
    expect(g[0]).toEqual(g[2]);
  });

  it('hidden-mode vectors are normalised per layer, and a zero vector stays zero (norm clamped)', () => {
    const g = gatesFromVectors([[Float64Array.from([3, 4]), Float64Array.from([0, 0])]], 2);
    expect([...g[0]!]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect([...g[1]!]).toEqual([0, 0]);
  });
});

describe('degenerate routers (warn_degenerate_gates)', () => {
  it('computes the 2-norm condition number, wide or tall', () => {
    expect(conditionNumber(Float32Array.from([3, 0, 0, 0, 1, 0]), 2, 3)).toBeCloseTo(3, 9);
    expect(conditionNumber(Float32Array.from([3, 0, 0, 1, 0, 0]), 3, 2)).toBeCloseTo(3, 9);
    // [[1, 1], [1, 1 + e]]: singular values ~ 2 and e / 2.
    expect(conditionNumber(Float32Array.from([1, 1, 1, 1.001]), 2, 2)).toBeCloseTo(4002, -1);
    expect(conditionNumber(Float32Array.from([1, 2, 2, 4]), 2, 2)).toBe(Infinity);
  });

  it("names the layers as mergekit's warning does", () => {
    const good = Float32Array.from([1, 0, 0, 1]);
    const bad = Float32Array.from([1, 0, 1, 0.01]);
    expect(degenerateLayers([good, bad, good, bad], 2)).toEqual([1, 3]);
    expect(degenerateWarning([], 4)).toBeUndefined();
    expect(degenerateWarning([2], 4)).toMatch(/^layer 2 has degenerate routing parameters - your prompts may be too similar\. One or more experts will be underutilized/); // prettier-ignore
    expect(degenerateWarning([1, 3], 4)).toMatch(/^layers 1 and 3 have degenerate/);
    expect(degenerateWarning([0, 1, 3], 4)).toMatch(/^layers 0, 1, and 3 have degenerate/);
    expect(degenerateWarning([0, 1, 2, 3], 4)).toMatch(/^ALL layers have degenerate/);
  });
});
