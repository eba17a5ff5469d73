import { describe, expect, it } from 'vitest';
import { loraFactors, loraRank } from './lora-factors.ts';
import type { TruncatedSvd } from './linalg/randomized-svd.ts';

// D = U diag(4, 1) V^T with U = [e_0, e_2] (3 x 2) and V = [e_1, e_0] (2 x 2): D = [[0, 4], [0, 0], [1, 0]].
const svd: TruncatedSvd = {
  u: { rows: 3, cols: 2, data: Float64Array.of(1, 0, 0, 0, 0, 1) },
  s: Float64Array.of(4, 1),
  v: { rows: 2, cols: 2, data: Float64Array.of(0, 1, 1, 0) },
};
const base = { maxRank: 8, svEpsilon: 0, distributeScale: true };

describe('loraFactors', () => {
  it('distribute scale: A = sqrt(S) V^T, B = U sqrt(S)', () => {
    const f = loraFactors(svd, base, false);
    expect(f.rank).toBe(2);
    expect(f.aShape).toEqual([2, 2]);
    expect(f.bShape).toEqual([3, 2]);
    expect([...f.a]).toEqual([0, 2, 1, 0]);
    expect([...f.b]).toEqual([2, 0, 0, 0, 0, 1]);
  });

  it('--no-distribute-scale: A = S V^T, B = U', () => {
    const f = loraFactors(svd, { ...base, distributeScale: false }, false);
    expect([...f.a]).toEqual([0, 4, 1, 0]);
    expect([...f.b]).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it('an embedding decomposes D^T: A = sqrt(S) U^T is [r, vocab], B = V sqrt(S) is [dim, r]', () => {
    const f = loraFactors(svd, base, true);
    expect(f.aShape).toEqual([2, 3]);
    expect(f.bShape).toEqual([2, 2]);
    // B A = V S U^T = D^T = [[0, 0, 1], [4, 0, 0]]
    expect([...f.a]).toEqual([2, 0, 0, 0, 0, 1]);
    expect([...f.b]).toEqual([0, 1, 2, 0]);
  });

  it('max rank and epsilon cut the rank', () => {
    expect(loraFactors(svd, { ...base, maxRank: 1 }, false).rank).toBe(1);
    expect(loraRank(Float64Array.of(4, 1, 0.5), { ...base, svEpsilon: 0.9 })).toBe(2);
    expect(loraRank(Float64Array.of(4, 1, 0.5), { ...base, svEpsilon: 1 })).toBe(1); // strictly above
    expect(loraRank(Float64Array.of(0.1), { ...base, svEpsilon: 1 })).toBe(0);
    expect(loraRank(Float64Array.of(0, 0), base)).toBe(2); // no epsilon: zeros count
  });
});
