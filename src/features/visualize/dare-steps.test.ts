import { describe, expect, it } from 'vitest';
import { sumAbs } from '../../../workers/methods/shared/vec.ts';
import {
  dropAndRescale,
  dropStats,
  keepRateByRank,
  meanOverSeeds,
  sharedHistogram,
  type DropSettings,
} from './dare-steps.ts';
import { runKernel } from './engine-kernels.ts';
import { TOY_DARE_SHAPE, toyDareDelta } from './toy-data.ts';

const delta = toyDareDelta();
const dare: DropSettings = {
  kind: 'dare',
  density: 0.5,
  epsilon: 0.15,
  rescale: true,
  seed: 7,
  tensorName: 'toy',
  modelIndex: 0,
  shape: TOY_DARE_SHAPE,
};
const della: DropSettings = { ...dare, kind: 'della' };

describe('DARE: drop with probability 1 - density, then rescale', () => {
  it('keeps about half at density 0.5, and the L1 norm exactly (mergekit’s rescale)', () => {
    const after = dropAndRescale(delta, dare);
    const s = dropStats(delta, after);
    expect(s.total).toBe(512);
    expect(s.kept).toBeGreaterThan(512 * 0.4);
    expect(s.kept).toBeLessThan(512 * 0.6);
    expect(sumAbs(after)).toBeCloseTo(sumAbs(delta), 4);
    expect(s.factor).toBeCloseTo(s.l1Before / sumAbs(delta.filter((_, i) => after[i] !== 0)), 4);
  });

  it('draws the mask the engine’s dare_linear kernel draws for the same seed, tensor and input', () => {
    const after = dropAndRescale(delta, dare);
    const merged = runKernel({
      method: 'dare_linear',
      base: new Float32Array(delta.length),
      inputs: [delta],
      shape: TOY_DARE_SHAPE,
      perModel: [{ weight: 1, density: 0.5 }],
      seed: 7,
      tensorName: 'toy',
    }).out;
    expect(merged).toEqual(after);
    expect(dropAndRescale(delta, { ...dare, seed: 8 })).not.toEqual(after);
  });

  it('preserves the delta in expectation: the mean over many seeds is close to the original', () => {
    const mean = meanOverSeeds(delta, dare, 300);
    let err = 0;
    for (let i = 0; i < delta.length; i++) err += Math.abs(mean[i]! - delta[i]!);
    expect(err / sumAbs(delta)).toBeLessThan(0.1);
    // One seed alone is far from it: each entry is 0 or about twice its value.
    const one = dropAndRescale(delta, dare);
    let err1 = 0;
    for (let i = 0; i < delta.length; i++) err1 += Math.abs(one[i]! - delta[i]!);
    expect(err1 / sumAbs(delta)).toBeGreaterThan(0.8);
  });

  it('keeps every magnitude rank at the same rate; DELLA ramps from density - epsilon to + epsilon', () => {
    const flat = keepRateByRank(delta, dare, 60, 8);
    for (const r of flat) expect(Math.abs(r - 0.5)).toBeLessThan(0.07);
    const ramp = keepRateByRank(delta, della, 60, 8);
    expect(ramp[0]).toBeLessThan(0.42);
    expect(ramp[7]).toBeGreaterThan(0.58);
    expect(ramp[7]! - ramp[0]!).toBeGreaterThan(0.2);
  });
});

describe('counting', () => {
  it('dropStats on a hand-checkable vector', () => {
    const s = dropStats(Float32Array.of(1, -2, 3, 0), Float32Array.of(2, 0, 6, 0));
    expect(s).toEqual({ total: 4, kept: 2, sumBefore: 2, sumAfter: 8, l1Before: 6, l1After: 8, factor: 2 });
  });

  it('histograms share their bins; survivors only after the drop', () => {
    const after = dropAndRescale(delta, dare);
    const bins = sharedHistogram(delta, after, 20);
    expect(bins.reduce((n, b) => n + b.before, 0)).toBe(512);
    expect(bins.reduce((n, b) => n + b.after, 0)).toBe(dropStats(delta, after).kept);
    for (let i = 1; i < bins.length; i++) expect(bins[i]!.x0).toBe(bins[i - 1]!.x1);
    expect(sharedHistogram(new Float32Array(4), new Float32Array(4))).toEqual([]);
  });
});
