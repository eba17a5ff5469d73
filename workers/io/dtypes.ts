/**
 * Safetensors dtypes and the codecs between their bytes and float32.
 *
 * The merge kernels only ever see Float32Array: IO upcasts on read and downcasts on write.
 * Decoding is exact for every float format that fits in float32 (F16, BF16, F8); F64 and
 * the 64-bit integers are rounded to the nearest float32. Encoding rounds to nearest, ties to
 * even, which is what torch's `.to(dtype)` does.
 *
 * BF16, the usual dtype of LLM checkpoints, goes through workers/simd/codec.ts: WebAssembly
 * SIMD where available, with a JS reference that gives the same bits.
 */
import { decodeBf16, encodeBf16 } from '../simd/codec.ts';

export const DTYPES = [
  'F64',
  'F32',
  'F16',
  'BF16',
  'F8_E4M3',
  'F8_E5M2',
  'I64',
  'I32',
  'I16',
  'I8',
  'U64',
  'U32',
  'U16',
  'U8',
  'BOOL',
] as const;
export type DType = (typeof DTYPES)[number];

/** The dtypes the writer can produce. */
export const WRITABLE_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type WritableDType = (typeof WRITABLE_DTYPES)[number];

export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

export function isWritableDType(x: unknown): x is WritableDType {
  return typeof x === 'string' && (WRITABLE_DTYPES as readonly string[]).includes(x);
}

/** mergekit / torch spelling (`bfloat16`, `torch.float16`) to the safetensors name. */
export function dtypeFromTorchName(name: string): WritableDType | undefined {
  const n = name.startsWith('torch.') ? name.slice(6) : name;
  switch (n) {
    case 'float32':
    case 'float':
      return 'F32';
    case 'float16':
    case 'half':
      return 'F16';
    case 'bfloat16':
      return 'BF16';
    default:
      return undefined;
  }
}

export function torchNameOf(dtype: WritableDType): 'float32' | 'float16' | 'bfloat16' {
  return dtype === 'F32' ? 'float32' : dtype === 'F16' ? 'float16' : 'bfloat16';
}

// ---------------------------------------------------------------------------------------------
// Lookup tables. F16 has 65536 codes and F8 256, so a table decode is one load per element.

let f16Table: Float32Array | undefined;
function f16DecodeTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = halfToFloat(h);
  }
  return f16Table;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f8Tables = new Map<'F8_E4M3' | 'F8_E5M2', Float32Array>();
function f8DecodeTable(dtype: 'F8_E4M3' | 'F8_E5M2'): Float32Array {
  let t = f8Tables.get(dtype);
  if (!t) {
    t = new Float32Array(256);
    for (let b = 0; b < 256; b++) t[b] = dtype === 'F8_E4M3' ? e4m3ToFloat(b) : e5m2ToFloat(b);
    f8Tables.set(dtype, t);
  }
  return t;
}

/** float8_e4m3fn: no infinities, only 0x7f / 0xff are NaN (OCP FP8 spec). */
function e4m3ToFloat(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 3) & 0xf;
  const frac = b & 0x7;
  if (exp === 0xf && frac === 0x7) return NaN;
  if (exp === 0) return sign * frac * 2 ** -9;
  return sign * (1 + frac / 8) * 2 ** (exp - 7);
}

/** float8_e5m2: IEEE-like, with infinities and NaNs. */
function e5m2ToFloat(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >> 2) & 0x1f;
  const frac = b & 0x3;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  if (exp === 0) return sign * frac * 2 ** -16;
  return sign * (1 + frac / 4) * 2 ** (exp - 15);
}

// ---------------------------------------------------------------------------------------------
// Decode

/** A typed view of `bytes` as `Ctor`, copying only when the offset is misaligned. */
function view<T>(
  bytes: Uint8Array,
  size: number,
  make: (buf: ArrayBufferLike, off: number, len: number) => T,
): T {
  const len = bytes.byteLength / size;
  if (bytes.byteOffset % size === 0) return make(bytes.buffer, bytes.byteOffset, len);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return make(copy.buffer, 0, len);
}

/**
 * Decode `bytes` (little-endian, `dtype`) into float32. `out` may be given to avoid an
 * allocation; it must have exactly the element count.
 */
export function decodeToF32(bytes: Uint8Array, dtype: DType, out?: Float32Array): Float32Array {
  const size = DTYPE_SIZE[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  const n = bytes.byteLength / size;
  const res = out ?? new Float32Array(n);
  if (res.length !== n) throw new RangeError(`output has ${res.length} elements, input ${n}`);
  switch (dtype) {
    case 'F32':
      res.set(view(bytes, 4, (b, o, l) => new Float32Array(b, o, l)));
      break;
    case 'BF16':
      decodeBf16(bytes.subarray(0, 2 * n), res);
      break;
    case 'F16': {
      const src = view(bytes, 2, (b, o, l) => new Uint16Array(b, o, l));
      const t = f16DecodeTable();
      for (let i = 0; i < n; i++) res[i] = t[src[i]!]!;
      break;
    }
    case 'F8_E4M3':
    case 'F8_E5M2': {
      const t = f8DecodeTable(dtype);
      for (let i = 0; i < n; i++) res[i] = t[bytes[i]!]!;
      break;
    }
    case 'F64':
      res.set(view(bytes, 8, (b, o, l) => new Float64Array(b, o, l)));
      break;
    case 'I64':
    case 'U64': {
      const src = view(bytes, 8, (b, o, l) =>
        dtype === 'I64' ? new BigInt64Array(b, o, l) : new BigUint64Array(b, o, l),
      );
      for (let i = 0; i < n; i++) res[i] = Number(src[i]!);
      break;
    }
    case 'I32':
      res.set(view(bytes, 4, (b, o, l) => new Int32Array(b, o, l)));
      break;
    case 'U32':
      res.set(view(bytes, 4, (b, o, l) => new Uint32Array(b, o, l)));
      break;
    case 'I16':
      res.set(view(bytes, 2, (b, o, l) => new Int16Array(b, o, l)));
      break;
    case 'U16':
      res.set(view(bytes, 2, (b, o, l) => new Uint16Array(b, o, l)));
      break;
    case 'I8':
      res.set(new Int8Array(bytes.buffer, bytes.byteOffset, n));
      break;
    case 'U8':
      res.set(bytes);
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) res[i] = bytes[i] ? 1 : 0;
      break;
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Encode

/** Encode float32 values as `dtype` bytes, rounding to nearest even. */
export function encodeFromF32(src: Float32Array, dtype: WritableDType, out?: Uint8Array): Uint8Array {
  const n = src.length;
  const bytes = out ?? new Uint8Array(n * DTYPE_SIZE[dtype]);
  if (bytes.byteLength !== n * DTYPE_SIZE[dtype]) {
    throw new RangeError(`output has ${bytes.byteLength} bytes, need ${n * DTYPE_SIZE[dtype]}`);
  }
  if (dtype === 'F32') {
    if (bytes.byteOffset % 4 === 0) new Float32Array(bytes.buffer, bytes.byteOffset, n).set(src);
    else bytes.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    return bytes;
  }
  if (dtype === 'BF16') encodeBf16(src, bytes);
  else {
    const bits = new Uint32Array(src.buffer, src.byteOffset, n);
    const aligned = bytes.byteOffset % 2 === 0;
    const dst = aligned ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : new Uint16Array(n);
    for (let i = 0; i < n; i++) dst[i] = f32BitsToF16(bits[i]!);
    if (!aligned) bytes.set(new Uint8Array(dst.buffer));
  }
  return bytes;
}

/** float32 bits -> bfloat16 bits, round to nearest even; NaN stays a quiet NaN. */
export function f32BitsToBf16(b: number): number {
  if ((b & 0x7fffffff) > 0x7f800000) return ((b >>> 16) | 0x40) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float32 bits -> IEEE half bits, round to nearest even (overflow gives infinity). */
export function f32BitsToF16(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-one mantissa right, rounding to even.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++; // may carry into the exponent: correct
  return sign | r;
}

// ---------------------------------------------------------------------------------------------
// Rounding to a compute dtype (used to emulate torch's per-op rounding in bf16/f16 math).

const scratchF = new Float32Array(1);
const scratchU = new Uint32Array(scratchF.buffer);
const scratchI = new Int32Array(scratchF.buffer);

export function roundToBf16(x: number): number {
  // f32BitsToBf16 inlined (hot: called after every arithmetic step when emulating bf16 math).
  scratchF[0] = x;
  const b = scratchI[0]!;
  if ((b & 0x7fffffff) > 0x7f800000) return x;
  scratchI[0] = (b + 0x7fff + ((b >>> 16) & 1)) & -65536;
  return scratchF[0]!;
}

export function roundToF16(x: number): number {
  scratchF[0] = x;
  return f16DecodeTable()[f32BitsToF16(scratchU[0]!)]!;
}

/** The scalar rounding function of a compute dtype. */
export function rounderFor(dtype: WritableDType): (x: number) => number {
  return dtype === 'F32' ? Math.fround : dtype === 'BF16' ? roundToBf16 : roundToF16;
}

/** Round every element of `a` in place to `dtype` (no-op for F32). */
export function roundArrayTo(a: Float32Array, dtype: WritableDType): void {
  if (dtype === 'F32') return;
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  if (dtype === 'BF16') {
    for (let i = 0; i < a.length; i++) bits[i] = f32BitsToBf16(bits[i]!) << 16;
  } else {
    const t = f16DecodeTable();
    for (let i = 0; i < a.length; i++) a[i] = t[f32BitsToF16(bits[i]!)]!;
  }
}
