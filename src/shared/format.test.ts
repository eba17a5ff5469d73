import { describe, expect, it } from 'vitest';
import { formatDuration } from './format.ts';

describe('formatDuration', () => {
  it('never says "0 s" for a run shorter than a second', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(120)).toBe('120 ms');
    expect(formatDuration(499)).toBe('499 ms');
    expect(formatDuration(999.4)).toBe('999 ms');
  });

  it('gives a tenth of a second below 10 s, whole seconds, minutes and hours above', () => {
    expect(formatDuration(999.6)).toBe('1.0 s');
    expect(formatDuration(2_440)).toBe('2.4 s');
    expect(formatDuration(9_960)).toBe('10 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(3_720_000)).toBe('1 h 2 min');
  });
});
