import { describe, expect, it } from 'vitest';
import {
  decodeToF32,
  DTYPES,
  DTYPE_SIZE,
  encodeFromF32,
  f32BitsToBf16,
  f32BitsToF16,
  roundToBf16,
  roundToF16,
} from './dtypes.ts';

const bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;

describe('float codecs', () => {
  it('bf16 rounds to nearest, ties to even', () => {
    expect(f32BitsToBf16(bits(1))).toBe(0x3f80);
    // 1 + 2^-8 is exactly halfway between bf16 1 and 1 + 2^-7: ties to even (1).
    expect(f32BitsToBf16(bits(1 + 2 ** -8))).toBe(0x3f80);
    // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6: rounds up to even.
    expect(f32BitsToBf16(bits(1 + 3 * 2 ** -8))).toBe(0x3f82);
    expect(f32BitsToBf16(bits(1 + 2 ** -8 + 2 ** -20))).toBe(0x3f81);
    expect(f32BitsToBf16(bits(NaN)) & 0x7fc0).toBe(0x7fc0);
    expect(f32BitsToBf16(bits(-Infinity))).toBe(0xff80);
  });

  it('f16 rounds to nearest even, handles subnormals and overflow', () => {
    expect(f32BitsToF16(bits(1))).toBe(0x3c00);
    expect(f32BitsToF16(bits(65504))).toBe(0x7bff);
    expect(f32BitsToF16(bits(65520))).toBe(0x7c00); // rounds to infinity
    expect(f32BitsToF16(bits(2 ** -24))).toBe(0x0001); // smallest subnormal
    expect(f32BitsToF16(bits(2 ** -25))).toBe(0x0000); // halfway to 0: even
    expect(f32BitsToF16(bits(3 * 2 ** -25))).toBe(0x0002); // halfway between 1 and 2 ulps: even
    expect(f32BitsToF16(bits(1 + 2 ** -11))).toBe(0x3c00); // tie to even
    expect(f32BitsToF16(bits(-0))).toBe(0x8000);
  });

  it('encode then decode is the rounding function', () => {
    const xs = new Float32Array([0, -0, 1, -2.5, 3.14159, 1e-6, -7e4, 123.456, 2 ** -14]);
    for (const dt of ['BF16', 'F16'] as const) {
      const back = decodeToF32(encodeFromF32(xs, dt), dt);
      const round = dt === 'BF16' ? roundToBf16 : roundToF16;
      xs.forEach((x, i) => expect(back[i]).toBe(round(x)));
    }
    expect(decodeToF32(encodeFromF32(xs, 'F32'), 'F32')).toEqual(xs);
  });

  it('every f16 code decodes exactly and re-encodes to itself', () => {
    const codes = new Uint16Array(65536).map((_, i) => i);
    const f = decodeToF32(new Uint8Array(codes.buffer), 'F16');
    const back = new Uint16Array(encodeFromF32(f, 'F16').buffer);
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      if (!isNaN) expect(back[i]).toBe(i);
    }
  });

  it('decodes F8 formats by their spec', () => {
    const e4 = decodeToF32(new Uint8Array([0x38, 0x7e, 0x01, 0xb8, 0x7f]), 'F8_E4M3');
    expect([...e4.subarray(0, 4)]).toEqual([1, 448, 2 ** -9, -1]);
    expect(e4[4]).toBeNaN();
    const e5 = decodeToF32(new Uint8Array([0x3c, 0x7b, 0x7c, 0x01]), 'F8_E5M2');
    expect([...e5]).toEqual([1, 57344, Infinity, 2 ** -16]);
  });

  it('decodes integers and bool, and unaligned input', () => {
    const i64 = new BigInt64Array([-3n, 5n]);
    expect([...decodeToF32(new Uint8Array(i64.buffer), 'I64')]).toEqual([-3, 5]);
    expect([...decodeToF32(new Uint8Array([0, 1, 2]), 'BOOL')]).toEqual([0, 1, 1]);
    const f = new Float32Array([1.5, -2]);
    const shifted = new Uint8Array(9);
    shifted.set(new Uint8Array(f.buffer), 1);
    expect([...decodeToF32(shifted.subarray(1), 'F32')]).toEqual([1.5, -2]);
    for (const dt of DTYPES) expect(DTYPE_SIZE[dt]).toBeGreaterThan(0);
  });
});
