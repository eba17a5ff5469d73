import { describe, expect, it } from 'vitest';
import { runKernel } from './engine-kernels.ts';
import { tiesSteps, type TiesSettings } from './ties-steps.ts';
import { TOY_TIES } from './toy-data.ts';

const settings = (density: number, extra: Partial<TiesSettings> = {}): TiesSettings => ({
  weights: [1, 1, 1],
  densities: [density, density, density],
  normalize: true,
  lambda: 1,
  rescale: false,
  ...extra,
});
const round = (a: ArrayLike<number>): number[] => Array.from(a, (x) => Math.round(x * 1e4) / 1e4 + 0);
const zero = new Float32Array(10);

describe('TIES step by step on the toy vectors (density 0.5: 5 of 10 kept per model)', () => {
  const s = tiesSteps(zero, TOY_TIES, settings(0.5));

  it('trim keeps each model’s five largest magnitudes', () => {
    expect(round(s.trimmed[0]!)).toEqual([0.9, 0, 0, 0.6, -0.7, 0, 0.75, 0, 0.8, 0]);
    expect(round(s.trimmed[1]!)).toEqual([0.7, 0.5, 0, 0, -0.6, 0, -0.9, 0, 0.4, 0]);
    expect(round(s.trimmed[2]!)).toEqual([0, 0.6, 0, 0.5, 0, 0, -0.5, -0.6, 0.9, 0]);
  });

  it('elects the sign of each entry’s sum; entries with no vote left elect nothing', () => {
    expect(Array.from(s.elected)).toEqual([1, 1, 0, 1, -1, 0, -1, -1, 1, 0]);
    // Entry 6: A (+0.75) is outvoted by B and C.
    expect(s.agrees.map((a) => a[6])).toEqual([0, 1, 1]);
  });

  it('the disjoint mean averages only the agreeing entries; the plain average blurs them', () => {
    expect(round(s.merged)).toEqual([0.8, 0.55, 0, 0.55, -0.65, 0, -0.7, -0.6, 0.7, 0]);
    expect(round(s.average)).toEqual(
      round(TOY_TIES[0]!.map((x, i) => (x + TOY_TIES[1]![i]! + TOY_TIES[2]![i]!) / 3)),
    );
    expect(s.average[6]).toBeCloseTo(-0.21667, 4);
  });

  it('is what the engine’s ties kernel gives for the same models and settings', () => {
    const base = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    const models = TOY_TIES.map((d) => base.map((b, i) => b + d[i]!));
    const withBase = tiesSteps(base, models, settings(0.5, { weights: [1, 2, 0.5], lambda: 0.8 }));
    const direct = runKernel({
      method: 'ties',
      base,
      inputs: models,
      global: { lambda: 0.8 },
      perModel: [1, 2, 0.5].map((weight) => ({ weight, density: 0.5 })),
    }).out;
    expect(Array.from(withBase.merged)).toEqual(Array.from(direct.map((x, i) => Math.fround(x - base[i]!))));
  });

  it('density 1 trims nothing; a density that keeps nothing says so', () => {
    const all = tiesSteps(zero, TOY_TIES, settings(1));
    expect(all.trimmed.map((t) => Array.from(t))).toEqual(TOY_TIES.map((t) => Array.from(t)));
    const none = tiesSteps(zero, TOY_TIES, settings(0.05));
    expect(none.warnings[0]).toMatch(/keeps no element/);
    expect(Array.from(none.elected).every((x) => x === 0)).toBe(true);
  });
});
