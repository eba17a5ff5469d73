/**
 * Whole-tensor reductions as torch (CPU) takes them on a bf16/f16 tensor, for the kernels'
 * step-by-step path (see isF32 in ./vec.ts). torch accumulates such reductions (`sum`, `norm`,
 * `dot`, `mean`) in float32 and rounds the result once to the tensor's dtype. Its float32
 * summation order (vector lanes, cascades) cannot be reproduced element for element, so these
 * sum in float64 and round that to float32: the order-free value torch's sum approximates.
 * A result then differs from torch's only where torch's own float32 rounding error pushes the
 * sum across a bf16 rounding boundary (about one tensor in a thousand, by ~2^-16 relative).
 *
 * Vectors are `len` elements at start + j * stride (stride n / len for nuslerp's column vectors).
 */

/** float32 sum of squares (`(x * x).sum()` accumulated in float32, before its rounding). */
export function sumSqF32(a: Float32Array, start: number, stride: number, len: number): number {
  let s = 0;
  for (let j = 0, i = start; j < len; j++, i += stride) s += a[i]! * a[i]!;
  return Math.fround(s);
}

/** float32 sum of exact products: `torch.dot` on bf16/f16 (fp32 arithmetic), before its rounding. */
export function dotF32(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return Math.fround(s);
}

/** `torch.norm(x)` of a bf16/f16 tensor: float32 accumulation, sqrt in float, one rounding by `r`. */
export function normIn(
  r: (x: number) => number,
  a: Float32Array,
  start = 0,
  stride = 1,
  len = a.length,
): number {
  return r(Math.sqrt(sumSqF32(a, start, stride, len)));
}

/** `torch.linalg.norm(x.float())`: the float32 norm of the (bf16-valued) tensor. */
export function normF32(a: Float32Array): number {
  return Math.fround(Math.sqrt(sumSqF32(a, 0, 1, a.length)));
}

/**
 * `stack(xs).sum(dim=0)` of a few values (a sum over the models): float32 accumulation in order
 * (torch reduces a small outer dimension row by row), rounded once by `r`.
 */
export function sumOverModels(r: (x: number) => number, xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s = Math.fround(s + x);
  return r(s);
}
