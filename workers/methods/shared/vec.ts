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
