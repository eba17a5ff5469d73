/**
 * Tests only: an independent bf16 rounder (round-to-nearest-even from float32, by bit
 * arithmetic, not ../io/dtypes.ts) and seeded bf16 data, for re-deriving torch-CPU results
 * of mergekit's formulas step by step.
 */
const f = new Float32Array(1);
const u = new Uint32Array(f.buffer);

/** torch's bf16 result of an op computed in float32: fround first, then RNE to 8 bits of mantissa. */
export function bf16(x: number): number {
  f[0] = x;
  const b = u[0]!;
  if ((b & 0x7fffffff) > 0x7f800000) return f[0]!;
  u[0] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 0) & 0xffff0000;
  return f[0]!;
}

/** n bf16 values in offset +- scale, from a linear congruential generator. */
export function bf16Array(n: number, seed: number, scale = 0.05, offset = 0): number[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: n }, () => bf16(offset + (next() * 2 - 1) * scale));
}

/** torch's sum(dim=0) of bf16 values: float32 accumulator, one rounding to bf16. */
export function bf16Sum(values: readonly number[]): number {
  let a = 0;
  for (const v of values) a = Math.fround(a + v);
  return bf16(a);
}

/** Indices where two arrays differ (first few), for readable failures. */
export function mismatches(a: readonly number[], b: readonly number[], max = 5): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length && out.length < max; i++) if (!Object.is(a[i], b[i])) out.push(i);
  return out;
}

/**
 * The float32 accumulator of a whole-tensor reduction (sum, norm, dot) over many elements. torch
 * sums in vector lanes in an order we do not reproduce; the reference, like the kernels, takes
 * the float64 sum rounded to float32, so the tests check the roundings of each op, not that order.
 */
export function f32Total(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return Math.fround(s);
}

/** `torch.norm` of a bf16 tensor: float32 accumulation, sqrt in float, one rounding to bf16. */
export function bf16Norm(values: readonly number[]): number {
  return bf16(Math.sqrt(f32Total(values.map((v) => v * v))));
}
