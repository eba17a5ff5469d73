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

/**
 * out[i] = (add ? add[i] : 0) + scale * sum_k w_k x_k[i] (float32 mode), four inputs per pass.
 * With `minus`, each x_k[i] is replaced by x_k[i] - minus[i] (task vectors without materialising them).
 */
export function weightedSum(
  out: Float32Array,
  xs: readonly Float32Array[],
  ws: readonly number[],
  scale: number,
  add?: Float32Array,
  minus?: Float32Array,
): void {
  if (xs.length === 0) {
    if (add) out.set(add);
    else out.fill(0);
    return;
  }
  for (let k = 0; k < xs.length; k += 4) {
    // Missing inputs of the last group repeat the first with weight 0.
    const x = [0, 1, 2, 3].map((j) => xs[k + j] ?? xs[k]!);
    const w = [0, 1, 2, 3].map((j) => (k + j < xs.length ? ws[k + j]! * scale : 0));
    fused4(out, x as [Float32Array, Float32Array, Float32Array, Float32Array], w, k === 0 ? add : out, minus);
  }
}

/** One pass of four weighted inputs. Each case is its own loop so the JIT keeps it branch-free. */
function fused4(
  out: Float32Array,
  [x0, x1, x2, x3]: readonly [Float32Array, Float32Array, Float32Array, Float32Array],
  [w0, w1, w2, w3]: readonly number[],
  init: Float32Array | undefined,
  minus: Float32Array | undefined,
): void {
  const n = out.length;
  const a = w0!;
  const b = w1!;
  const c = w2!;
  const d = w3!;
  if (minus && init) {
    for (let i = 0; i < n; i++) {
      const s = minus[i]!;
      out[i] = init[i]! + a * (x0[i]! - s) + b * (x1[i]! - s) + c * (x2[i]! - s) + d * (x3[i]! - s);
    }
  } else if (minus) {
    for (let i = 0; i < n; i++) {
      const s = minus[i]!;
      out[i] = a * (x0[i]! - s) + b * (x1[i]! - s) + c * (x2[i]! - s) + d * (x3[i]! - s);
    }
  } else if (init) {
    for (let i = 0; i < n; i++) out[i] = init[i]! + a * x0[i]! + b * x1[i]! + c * x2[i]! + d * x3[i]!;
  } else {
    for (let i = 0; i < n; i++) out[i] = a * x0[i]! + b * x1[i]! + c * x2[i]! + d * x3[i]!;
  }
}
