/**
 * BF16 / F16 unpack and pack in WGSL, with integer operations only: no `shader-f16` feature,
 * and no dependence on how a GPU converts or flushes subnormal halves. Bit for bit the codecs
 * of workers/io/dtypes.ts: decode is exact, encode rounds to nearest even (NaN stays NaN).
 *
 * Two 16-bit values share a u32 word, low half first (little-endian bytes). Values travel as
 * u32 bit patterns, so a NaN's payload is never touched by a float store.
 */
import type { Kernel } from '../gpu-context.ts';
import { INDEX, MAIN } from './common.ts';

const DECODE = /* wgsl */ `
fn bf16_to_f32(h: u32) -> u32 { return h << 16u; }
fn f16_to_f32(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) {
    if (m == 0u) { return sign; }
    // Subnormal half m x 2^-24: normalise around its leading bit p.
    let p = firstLeadingBit(m);
    return sign | ((p + 103u) << 23u) | ((m << (23u - p)) & 0x7fffffu);
  }
  if (e == 31u) { return sign | 0x7f800000u | (m << 13u); }
  return sign | ((e + 112u) << 23u) | (m << 13u);
}`;

const ENCODE = /* wgsl */ `
fn f32_to_bf16(b: u32) -> u32 {
  if ((b & 0x7fffffffu) > 0x7f800000u) { return ((b >> 16u) | 0x40u) & 0xffffu; }
  return ((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u) & 0xffffu;
}
fn f32_to_f16(b: u32) -> u32 {
  let sign = (b >> 16u) & 0x8000u;
  let exp = (b >> 23u) & 0xffu;
  let mant = b & 0x7fffffu;
  if (exp == 0xffu) { return sign | 0x7c00u | select(0u, 0x200u, mant != 0u); }
  let e = i32(exp) - 112;
  if (e >= 31) { return sign | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sign; }
    let m = mant | 0x800000u;
    let shift = u32(14 - e);
    let half = 1u << (shift - 1u);
    let rest = m & ((1u << shift) - 1u);
    var r = m >> shift;
    if (rest > half || (rest == half && (r & 1u) != 0u)) { r = r + 1u; }
    return sign | r;
  }
  var r = (u32(e) << 10u) | (mant >> 13u);
  let rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (r & 1u) != 0u)) { r = r + 1u; }
  return sign | r;
}`;

/** dtype 0: BF16, 1: F16. dst[i] = f32 bits of half i of src. */
export const UNPACK_HALF: Kernel = {
  name: 'unpack_half',
  code: /* wgsl */ `${INDEX}${DECODE}
struct P { n: u32, dtype: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
${MAIN}
  if (i >= p.n) { return; }
  let h = (src[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu;
  dst[i] = select(bf16_to_f32(h), f16_to_f32(h), p.dtype == 1u);
}`,
};

/** One thread per output word: halves 2w and 2w + 1 of the f32 bits in src. */
export const PACK_HALF: Kernel = {
  name: 'pack_half',
  code: /* wgsl */ `${INDEX}${ENCODE}
struct P { n: u32, dtype: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
fn enc(b: u32) -> u32 { return select(f32_to_bf16(b), f32_to_f16(b), p.dtype == 1u); }
${MAIN}
  if (2u * i >= p.n) { return; }
  let lo = enc(src[2u * i]);
  var hi = 0u;
  if (2u * i + 1u < p.n) { hi = enc(src[2u * i + 1u]); }
  dst[i] = lo | (hi << 16u);
}`,
};
