import { describe, expect, it } from 'vitest';
import { planSample, rowBlocks, spreadLayers } from './layer-sample.ts';

describe('layer sample', () => {
  it('spreads layers evenly, first and last included', () => {
    expect(spreadLayers(32, 8)).toEqual([0, 4, 9, 13, 18, 22, 27, 31]);
    expect(spreadLayers(4, 8)).toEqual([0, 1, 2, 3]);
    expect(spreadLayers(5, 2)).toEqual([0, 4]);
    expect(spreadLayers(5, 1)).toEqual([0]);
  });

  it('reads every layer whole within the budget; else samples layers, then rows', () => {
    expect(planSample([10, 10, 10, 10], { maxBytes: 40 })).toEqual({ layers: [0, 1, 2, 3], rowFraction: 1 });
    expect(planSample([10, 10, 10, 10], { maxBytes: 39, maxLayers: 2 })).toEqual({
      layers: [0, 3],
      rowFraction: 1,
    });
    // two layers of 10 bytes in a budget of 5: a quarter of each tensor's rows
    expect(planSample([10, 10, 10, 10], { maxBytes: 5, maxLayers: 2 })).toEqual({
      layers: [0, 3],
      rowFraction: 0.25,
    });
  });
});

describe('row blocks', () => {
  it('is the whole tensor at fraction 1 and for a 1-D tensor (one row)', () => {
    expect(rowBlocks(100, 1)).toEqual([{ row: 0, rows: 100 }]);
    expect(rowBlocks(1, 0.01)).toEqual([{ row: 0, rows: 1 }]);
  });

  it('centres equal blocks in equal bands', () => {
    // 10 rows wanted in 2 blocks of 5, centred at 25 and 75
    expect(rowBlocks(100, 0.1)).toEqual([
      { row: 23, rows: 5 },
      { row: 73, rows: 5 },
    ]);
    // 10 in 4 blocks of 3, centred at 12.5, 37.5, 62.5 and 87.5
    expect(rowBlocks(100, 0.1, 4).map((b) => b.row)).toEqual([11, 36, 61, 86]);
    expect(rowBlocks(10, 0.2)).toEqual([
      { row: 2, rows: 1 },
      { row: 7, rows: 1 },
    ]);
    expect(rowBlocks(10, 0.1)).toEqual([{ row: 5, rows: 1 }]); // one row, centred
  });
});
