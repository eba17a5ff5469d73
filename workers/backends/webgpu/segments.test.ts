import { describe, expect, it } from 'vitest';
import { GpuUnsupportedError } from './errors.ts';
import { grid, planSegments } from './segments.ts';

describe('planSegments', () => {
  it('cuts a tensor into binding-sized ranges', () => {
    // 16 bytes per binding at 4 bytes per element: 4 elements per segment.
    expect(planSegments(10, 1, 4, 16)).toEqual([
      { start: 0, len: 4 },
      { start: 4, len: 4 },
      { start: 8, len: 2 },
    ]);
    expect(planSegments(10, 1, 4, 1024)).toEqual([{ start: 0, len: 10 }]);
    expect(planSegments(0, 1, 4, 16)).toEqual([]);
  });

  it('never splits a row', () => {
    // Rows of 3, room for 4 elements: one row per segment.
    expect(planSegments(9, 3, 4, 16)).toEqual([
      { start: 0, len: 3 },
      { start: 3, len: 3 },
      { start: 6, len: 3 },
    ]);
  });

  it('refuses a row larger than a binding, with the sizes in the message', () => {
    expect(() => planSegments(20, 10, 8, 64)).toThrow(GpuUnsupportedError);
    expect(() => planSegments(20, 10, 8, 64)).toThrow(/a row of 10 elements needs 80 bytes/);
  });
});

describe('grid', () => {
  it('stays within 65535 workgroups per dimension', () => {
    expect(grid(1)).toEqual([1, 1]);
    expect(grid(65535)).toEqual([65535, 1]);
    expect(grid(70000)).toEqual([65535, 2]);
    expect(grid(0)).toEqual([0, 0]);
  });
});
