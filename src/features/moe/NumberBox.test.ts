import { describe, expect, it } from 'vitest';
import { readNumberBox } from './NumberBox.tsx';

describe('readNumberBox', () => {
  it('an optional box may be emptied: the key leaves the config', () => {
    expect(readNumberBox('', { optional: true })).toEqual({});
    expect(readNumberBox(' ', {})).toEqual({ problem: 'enter a number' });
  });

  it('accepts numbers within its limits and says why others are refused', () => {
    expect(readNumberBox('0.01', { optional: true, min: 0 })).toEqual({ value: 0.01 });
    expect(readNumberBox('-1', { min: 0 })).toEqual({ problem: 'must be at least 0' });
    expect(readNumberBox('1.5', { integer: true })).toEqual({ problem: 'enter a whole number' });
    expect(readNumberBox('abc', {})).toEqual({ problem: 'enter a number' });
    expect(readNumberBox('2', { integer: true, min: 1 })).toEqual({ value: 2 });
  });
});
