import { describe, expect, it } from 'vitest';
import { TIES_STEPS, tiesCounts, tiesPanels } from './ties-panels.ts';
import { tiesSteps } from './ties-steps.ts';
import { TOY_TIES, TOY_TIES_NAMES } from './toy-data.ts';

const steps = tiesSteps(new Float32Array(10), TOY_TIES, {
  weights: [1, 1, 1],
  densities: [0.5, 0.5, 0.5],
  normalize: true,
  lambda: 1,
  rescale: false,
});
const whole = (v: ArrayLike<number>) => v;
const firstFour = (v: ArrayLike<number>) => Array.from(v).slice(0, 4);

describe('what each TIES step draws', () => {
  it('four steps: task vectors, trim, vote, disjoint mean beside the plain average', () => {
    expect(TIES_STEPS).toHaveLength(4);
    const labels = [0, 1, 2, 3].map((s) =>
      tiesPanels(steps, TOY_TIES_NAMES, s, 1, 10, whole).map((p) => p.label),
    );
    expect(labels[0]).toEqual(['model A', 'model B', 'model C']);
    expect(labels[1]).toEqual(['model A', 'model B', 'model C']);
    expect(labels[2]).toEqual(['model A', 'model B', 'model C', 'elected sign']);
    expect(labels[3]).toEqual([
      'model A',
      'model B',
      'model C',
      'elected sign',
      'TIES result',
      'plain average',
    ]);
  });

  it('the trim fades what it removed (the original values stay readable); the vote fades the outvoted', () => {
    const [a] = tiesPanels(steps, TOY_TIES_NAMES, 1, 1, 10, whole);
    expect(Array.from(a!.values).map((x) => Math.round(x * 100) / 100)).toEqual([
      0.9, -0.2, 0.05, 0.6, -0.7, 0.1, 0.75, -0.05, 0.8, -0.4,
    ]);
    expect(Array.from(a!.faded!)).toEqual([0, 1, 1, 0, 0, 1, 0, 1, 0, 1]);
    const voted = tiesPanels(steps, TOY_TIES_NAMES, 2, 1, 10, whole);
    expect(Array.from(voted[0]!.faded!)).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(voted[3]!.signs).toBe(true);
  });

  it('counts what the caption says, on what is shown', () => {
    expect(tiesCounts(steps, whole)).toEqual({
      kept: [5, 5, 5],
      total: 10,
      conflicts: 1,
      outvoted: 1,
      noVote: 3,
    });
    // A crop to the first four entries: nothing outvoted there, entry 2 without a vote.
    expect(tiesCounts(steps, firstFour)).toEqual({
      kept: [2, 2, 2],
      total: 4,
      conflicts: 0,
      outvoted: 0,
      noVote: 1,
    });
  });
});
