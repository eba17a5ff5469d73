/**
 * Helpers for kernels that compute in float64 lanes: a block of 4 float32 elements is split
 * into two f64x2 halves (elements 0, 1 and 2, 3), worked on, and joined back with one rounding
 * to float32 per element. That is exactly what the JS kernels do when they read float32
 * values into JS numbers (float64) and store the result into a Float32Array, so the two agree
 * bit for bit.
 */
import { op, type Bytes } from '../wasm-builder.ts';

/** f32x4 on the stack -> its elements 2, 3 as the low half (for promote_low); the high half is 0. */
const HIGH_TO_LOW: Bytes = [
  ...op.v128Zero,
  ...op.i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]),
];

/** The f64x2 of elements 0, 1 (half 0) or 2, 3 (half 1) of the f32x4 on the stack. */
export const promoteHalf = (half: 0 | 1): Bytes =>
  half === 0 ? op.f64x2PromoteLowF32x4 : [...HIGH_TO_LOW, ...op.f64x2PromoteLowF32x4];

/** f32x4 of (lo, hi) where both are f64x2 locals: rounds each lane to float32 once. */
export const demoteJoin = (lo: number, hi: number): Bytes => [
  ...op.get(lo),
  ...op.f32x4DemoteF64x2Zero,
  ...op.get(hi),
  ...op.f32x4DemoteF64x2Zero,
  ...op.i8x16Shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]),
];

/** The f64x2 of elements 2h, 2h + 1 of the float32 block at the address on the stack (one load). */
export const loadHalf = (h: 0 | 1): Bytes => [...op.v128Load64Zero(8 * h), ...op.f64x2PromoteLowF32x4];

/** The address `ptr + off` of two i32 locals. */
export const at = (ptr: number, off: number): Bytes => [...op.get(ptr), ...op.get(off), ...op.add];
