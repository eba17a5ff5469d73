import { describe, expect, it } from 'vitest';
import { METHOD_NAMES } from '../../methods/registry.ts';
import { compareOutputs, TOLERANCES, ulpDistance } from './tolerances.ts';

const nextUp = (x: number): number => {
  const f = new Float32Array([x]);
  new Int32Array(f.buffer)[0]! += 1;
  return f[0]!;
};

describe('ulpDistance', () => {
  it('counts float32 steps, across zero and for special values', () => {
    expect(ulpDistance(1, nextUp(1))).toBe(1);
    expect(ulpDistance(1, nextUp(nextUp(1)))).toBe(2);
    expect(ulpDistance(0, -0)).toBe(0);
    expect(ulpDistance(-1e-45, 1e-45)).toBe(2);
    expect(ulpDistance(NaN, NaN)).toBe(0);
    expect(ulpDistance(1, NaN)).toBe(Infinity);
  });
});

describe('compareOutputs', () => {
  it('passes ulps or the normwise floor, and counts the rest', () => {
    const cpu = new Float32Array([1, 0.001, 2]);
    const gpu = new Float32Array([nextUp(1), 0.001 + 1e-9, 2.5]);
    const r = compareOutputs(cpu, gpu, { ulps: 1, normwise: 1e-8, outliers: 0 });
    expect(r.maxUlps).toBeGreaterThan(1);
    expect(r.failing).toBe(1); // only 2 -> 2.5; 1e-9 is below 1e-8 x max |cpu| = 2e-8
    expect(r.firstFailing).toEqual([{ index: 2, cpu: 2, gpu: 2.5 }]);
    expect(r.ok).toBe(false);
    // Any outlier allowance lets at least 2 elements through (one flip of a threshold pair).
    expect(compareOutputs(cpu, gpu, { ulps: 1, normwise: 1e-8, outliers: 0.01 }).ok).toBe(true);
    expect(compareOutputs(cpu, gpu, { ulps: 1, normwise: 1e-8, outliers: 0.01 }).allowedFailing).toBe(2);
  });

  it('has a tolerance for every method', () => {
    expect(Object.keys(TOLERANCES).sort()).toEqual([...METHOD_NAMES].sort());
  });
});
