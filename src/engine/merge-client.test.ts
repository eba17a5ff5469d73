import { describe, expect, it } from 'vitest';
import { defaultComputeLanes } from './merge-client.ts';

describe('defaultComputeLanes', () => {
  it('leaves two cores to reading and the browser, starts two or none, and at most four', () => {
    const counts = [1, 2, 3, 4, 6, 8, 16].map((c) => defaultComputeLanes(c, true, 'directory'));
    expect(counts).toEqual([0, 0, 0, 2, 4, 4, 4]);
  });
  it('starts one on two or three cores when the merge worker also writes (OPFS)', () => {
    const counts = [1, 2, 3, 4, 6, 8, 16].map((c) => defaultComputeLanes(c, true, 'opfs'));
    expect(counts).toEqual([0, 1, 1, 2, 4, 4, 4]);
  });
  it('starts none without cross-origin isolation (no SharedArrayBuffer to share inputs through)', () => {
    expect(defaultComputeLanes(16, false, 'opfs')).toBe(0);
  });
});
