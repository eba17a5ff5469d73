import { describe, expect, it } from 'vitest';
import { params } from './params.ts';
import { f32Above, f64Pair } from './wgsl/common.ts';

describe('ParamWriter', () => {
  it('lays out 4-byte fields in order, padded to 16 bytes', () => {
    const buf = params().u32(7, 0xffffffff).f32(0.5).i32(-3).u32(1).toArrayBuffer();
    expect(buf.byteLength).toBe(32);
    expect(new Uint32Array(buf, 0, 2)).toEqual(new Uint32Array([7, 0xffffffff]));
    expect(new Float32Array(buf, 8, 1)[0]).toBe(0.5);
    expect(new Int32Array(buf, 12, 1)[0]).toBe(-3);
    expect(new Uint32Array(buf, 16, 1)[0]).toBe(1);
    expect(params().toArrayBuffer().byteLength).toBe(16);
  });

  it('rejects values that are not u32', () => {
    expect(() => params().u32(-1)).toThrow(RangeError);
    expect(() => params().u32(1.5)).toThrow(RangeError);
  });
});

describe('float64 parameters as f32', () => {
  it('splits a float64 into hi + lo', () => {
    const [hi, lo] = f64Pair(0.1);
    expect(hi).toBe(Math.fround(0.1));
    expect(Math.abs(hi + lo - 0.1)).toBeLessThan(1e-16);
    expect(f64Pair(0.5)).toEqual([0.5, 0]);
  });

  it('gives the f32 threshold equivalent to "greater than a float64"', () => {
    expect(f32Above(0.5)).toBe(0.5 + 2 ** -24);
    expect(f32Above(0)).toBe(2 ** -149);
    expect(f32Above(-1)).toBe(-(1 - 2 ** -24));
    const t = f32Above(1e-5); // 1e-5 is not an f32: the f32 just above it
    expect(t).toBeGreaterThan(1e-5);
    expect(Math.fround(t - 2 ** -40)).toBeLessThanOrEqual(1e-5);
  });
});
