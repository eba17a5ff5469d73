import { describe, expect, it } from 'vitest';
import { numberProblem } from './NumberInput.tsx';

describe('numberProblem: what the Preview’s number boxes say about a value they refuse', () => {
  const density = { min: 0.01, max: 1 };
  it('says why an out-of-range or malformed value is refused', () => {
    expect(numberProblem('5', density)).toBe('must be at most 1');
    expect(numberProblem('0', density)).toBe('must be at least 0.01');
    expect(numberProblem('', density)).toBe('enter a number');
    expect(numberProblem('2.5', { min: 1, integer: true })).toBe('enter a whole number');
  });
  it('accepts values in range, and half-typed numbers that are numbers', () => {
    expect(numberProblem('0.5', density)).toBeUndefined();
    expect(numberProblem('1', density)).toBeUndefined();
    expect(numberProblem('0.', { min: 0 })).toBeUndefined();
  });
});
