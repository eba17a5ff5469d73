/** Reductions over Float32Array, accumulated in float64 (more accurate than torch's float32 sums). */

export function dot(a: Float32Array, b: Float32Array, start = 0, end = a.length): number {
  let s = 0;
  for (let i = start; i < end; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: Float32Array, start = 0, end = a.length): number {
  return Math.sqrt(dot(a, a, start, end));
}

export function sumAbs(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return s;
}

/** out = a - b (rounded to float32 by the store). */
export function sub(a: Float32Array, b: Float32Array, out = new Float32Array(a.length)): Float32Array {
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

/** Rows of a tensor viewed as [rows, cols] along its last dimension (1-D: one row). */
export function rowsOf(shape: readonly number[]): { rows: number; cols: number } {
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  let n = 1;
  for (const d of shape) n *= d;
  return { rows: cols === 0 ? 0 : n / cols, cols };
}

/**
 * True in float32 mode (the default): kernels may then keep intermediates in float64 and round
 * once when storing, which is at least as accurate as torch's per-op float32 rounding and
 * several times faster than calling the rounder after every step. With a bf16/f16 rounder the
 * kernels take their step-by-step path, which emulates torch exactly.
 */
export function isF32(round: (x: number) => number): boolean {
  return round === Math.fround;
}
