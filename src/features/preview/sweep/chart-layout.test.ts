import { describe, expect, it } from 'vitest';
import { spreadLabels } from './chart-layout.ts';

describe('baseline labels', () => {
  it('keeps labels in place when apart and pushes close ones down, in input order', () => {
    expect(spreadLabels([100, 50])).toEqual([100, 50]);
    expect(spreadLabels([103, 100, 40])).toEqual([112, 100, 40]);
    expect(spreadLabels([10, 10, 10])).toEqual([10, 22, 34]);
  });
});
