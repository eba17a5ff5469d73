/**
 * torch's CPU float32 reductions of a contiguous row in its own order, so those mergekit takes
 * (sce's mean(tau^2) weights; model_stock's and multislerp's norms and dot products) come out
 * in the same bits: the sum (`x.sum()`, `x.mean()` = sum / n, `(a * b).sum()`) below, the
 * 2-norm (torchNormF32) at the end. ATen's cascade sum (aten/src/ATen/native/cpu/SumKernel.cpp, read to learn
 * the order; nothing copied): the row is read as vectors of LANES floats, four of them at a
 * time (ILP), each lane of each of the four accumulates in a 4-level cascade (blocks of
 * 2^max(4, ceil(log2(groups)) / 4) groups); the leftover vectors go into the first of the four,
 * the other three are added to it, then the scalar tail is summed from 0 and the first's
 * lanes added to it in lane order. The vectors are AVX2's, 8 floats (LANES).
 */

/**
 * Vectorized<float>'s width with AVX2, torch's usual CPU kernels: the golden set's sce weights
 * match with 8 lanes (with 16, AVX-512's width, 17.6% of its elements differed; with 4, 15.5%).
 */
const LANES = 8;
/** The four vectors of a group. */
const WIDTH = 4 * LANES;

/**
 * torch's float32 sum of x, or with `y` of the products x[i] * y[i] each rounded to float32
 * (the op before the sum: `(a * b).sum()`, `mean(tau ** 2)` with y = x). The accumulators are
 * Float32Arrays: each `+=` stored there is one float32 addition.
 */
export function torchSumF32(x: Float32Array, y?: Float32Array): number {
  const n = x.length;
  const vecs = Math.floor(n / LANES);
  const groups = Math.floor(vecs / 4);
  const power = Math.max(4, Math.floor(ceilLog2(groups) / 4));
  const step = 2 ** power;
  const mask = step - 1;
  const acc = [0, 1, 2, 3].map(() => new Float32Array(WIDTH));
  const a0 = acc[0]!;
  let i = 0;
  while (i + step <= groups) {
    addGroups(x, y, a0, i, i + step);
    i += step;
    for (let level = 1; level < 4; level++) {
      const lo = acc[level - 1]!;
      const hi = acc[level]!;
      for (let j = 0; j < WIDTH; j++) hi[j]! += lo[j]!;
      lo.fill(0);
      if ((i & (mask * 2 ** (level * power))) !== 0) break;
    }
  }
  addGroups(x, y, a0, i, groups);
  for (let level = 1; level < 4; level++) {
    const a = acc[level]!;
    for (let j = 0; j < WIDTH; j++) a0[j]! += a[j]!;
  }
  // the four partial vectors: leftover vectors into the first, then the other three
  const value = (k: number): number => (y ? Math.fround(x[k]! * y[k]!) : x[k]!);
  for (let v = groups * 4; v < vecs; v++) for (let l = 0; l < LANES; l++) a0[l]! += value(v * LANES + l);
  for (let k = 1; k < 4; k++) for (let l = 0; l < LANES; l++) a0[l]! += a0[k * LANES + l]!;
  const total = new Float32Array(1);
  for (let j = vecs * LANES; j < n; j++) total[0]! += value(j);
  for (let l = 0; l < LANES; l++) total[0]! += a0[l]!;
  return total[0]!;
}

/** Adds groups [from, to) of x (WIDTH floats each, or of x * y) into the accumulators. */
function addGroups(
  x: Float32Array,
  y: Float32Array | undefined,
  acc: Float32Array,
  from: number,
  to: number,
): void {
  const end = to * WIDTH;
  if (y)
    for (let b = from * WIDTH; b < end; b += WIDTH)
      for (let j = 0; j < WIDTH; j++) acc[j]! += Math.fround(x[b + j]! * y[b + j]!);
  else for (let b = from * WIDTH; b < end; b += WIDTH) for (let j = 0; j < WIDTH; j++) acc[j]! += x[b + j]!;
}

/** ceil(log2(x)) for x >= 1 (ATen's CeilLog2; 0 for x <= 1). */
function ceilLog2(x: number): number {
  return x <= 1 ? 0 : Math.ceil(Math.log2(x));
}

/**
 * torch's float32 2-norm of a contiguous row (`torch.norm(x, dim=-1)`, ATen's vectorised
 * last-dim path): one 8-lane accumulator over the whole vectors, each step a fused multiply-add
 * (acc + v * v rounded once), its lanes added in order, then the tail's squares (multiply,
 * then add), then the square root. Fused steps are what made the golden set's multislerp
 * match (2.85% of its elements differed with a rounded product before the add; model_stock
 * matched either way).
 */
export function torchNormF32(x: Float32Array): number {
  const n = x.length;
  const whole = n - (n % LANES);
  const acc = new Float32Array(LANES);
  for (let d = 0; d < whole; d += LANES)
    for (let l = 0; l < LANES; l++) acc[l] = fmaF32(x[d + l]!, x[d + l]!, acc[l]!);
  const total = new Float32Array(1);
  total[0] = acc[0]!;
  for (let l = 1; l < LANES; l++) total[0]! += acc[l]!;
  for (let d = whole; d < n; d++) total[0]! += Math.fround(x[d]! * x[d]!);
  return Math.fround(Math.sqrt(total[0]!));
}

/**
 * a * b + c for float32 a, b, c, rounded once to float32 (a fused multiply-add). The product
 * is exact in float64 but the sum may not be, and rounding that to float32 again could land
 * on a float32 midpoint the exact sum is not at: then the sum's error (TwoSum) says which way.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  const d = s - r;
  if (d === 0) return r;
  const other = r + 2 * d; // the float32 on s's other side when s is their midpoint
  if (Math.fround(other) !== other) return r;
  const bb = s - p;
  const err = p - (s - bb) + (c - bb);
  return err !== 0 && err > 0 === d > 0 ? other : r;
}
