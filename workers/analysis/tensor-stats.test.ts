import { describe, expect, it } from 'vitest';
import { signConflictRate, slerpAngle, taskVectors, taskVectorStats, tiesTrim } from './tensor-stats.ts';

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);

describe('task-vector statistics', () => {
  it('measures norms, the pair cosine and the dominant model by hand', () => {
    const base = f32([1, 1, 1, 1]);
    // deltas [1, -2, 3, 0] and [-1, -2, 0, 4]: |a| = sqrt(14), |b| = sqrt(21), a.b = -1 + 4 = 3
    const deltas = taskVectors(base, [f32([2, -1, 4, 1]), f32([0, -1, 1, 5])]);
    expect([...deltas[0]!]).toEqual([1, -2, 3, 0]);
    const s = taskVectorStats(base, deltas);
    expect(s.norms[0]).toBeCloseTo(Math.sqrt(14), 12);
    expect(s.relNorms[1]).toBeCloseTo(Math.sqrt(21) / 2, 12); // |base| = 2
    expect(s.cosine).toBeCloseTo(3 / Math.sqrt(14 * 21), 12);
    expect(s.pairCosines).toHaveLength(1);
    expect(s.dominant).toBe(1);
    expect(s.normShare).toBeCloseTo(Math.sqrt(21) / (Math.sqrt(14) + Math.sqrt(21)), 12);
    // contested entries: 0 (1 vs -1: conflict) and 1 (-2 vs -2: agree); 2 and 3 have one non-zero
    expect(s.signConflict).toBe(0.5);
  });

  it('gives null pair metrics for one model, and a null cosine for a zero task vector', () => {
    const base = f32([1, 2]);
    const one = taskVectorStats(base, taskVectors(base, [f32([2, 2])]));
    expect([one.cosine, one.signConflict, one.normShare, one.dominant]).toEqual([null, null, null, null]);
    const same = taskVectorStats(base, taskVectors(base, [f32([1, 2]), f32([3, 2])]));
    expect(same.pairCosines).toEqual([null]);
    expect(same.cosine).toBeNull();
    expect(same.norms).toEqual([0, 2]);
  });

  it('counts sign conflicts over three models: an entry conflicts when both signs are present', () => {
    const d = [f32([1, 1, 1, 0]), f32([1, -1, 0, 0]), f32([1, 0, -1, 2])];
    // entry 0 agrees, 1 and 2 conflict, 3 has one non-zero: 2 of 3 contested
    expect(signConflictRate(d)).toBeCloseTo(2 / 3, 12);
    expect(signConflictRate([f32([0, 0]), f32([1, 0])])).toBe(0);
  });
});

describe('TIES trim', () => {
  it('keeps trunc(density * n) entries by magnitude and reports the share of energy removed', () => {
    // keeps -4 and 3; trims -1 and 0.5: energy (1 + 0.25) of 26.25
    const t = tiesTrim(f32([3, -1, 0.5, -4]), 0.5, [4]);
    expect(t.trimmed).toBe(0.5);
    expect(t.trimmedEnergy).toBeCloseTo(1.25 / 26.25, 7);
    expect(tiesTrim(f32([3, -1, 0.5, -4]), 1, [4])).toEqual({ density: 1, trimmed: 0, trimmedEnergy: 0 });
  });

  it('does not count entries that were already zero, and leaves the input alone', () => {
    const d = f32([0, 0, 2, -1]);
    const t = tiesTrim(d, 0.25, [2, 2]); // keeps only 2
    expect(t.trimmed).toBe(0.25);
    expect(t.trimmedEnergy).toBeCloseTo(1 / 5, 7);
    expect([...d]).toEqual([0, 0, 2, -1]);
  });
});

describe('SLERP angle', () => {
  it('is the angle between the raw tensors, with mergekit’s colinear fallback', () => {
    expect(slerpAngle(f32([1, 0]), f32([0, 1]))).toEqual({ degrees: 90, lerp: false });
    expect(slerpAngle(f32([1, 0]), f32([1, 1])).degrees).toBeCloseTo(45, 5);
    expect(slerpAngle(f32([1, 0]), f32([3, 0]))).toEqual({ degrees: 0, lerp: true });
    expect(slerpAngle(f32([1, 0]), f32([-2, 0])).degrees).toBeCloseTo(180, 5);
  });
});
