/**
 * The inner product the scans and solvers share. Four independent running sums (element j into
 * sum j mod 4, the tail into the first) let the JIT overlap the multiply-adds (about 1.6x over
 * one sum), and the order is fixed: workers/simd/wasm/dot-kernels.ts keeps the same four sums,
 * so the WebAssembly scan gives the same bits.
 */

/** a · b[offset .. offset + n). */
export function dotAt(a: ArrayLike<number>, b: ArrayLike<number>, offset: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    s0 += a[j]! * b[offset + j]!;
    s1 += a[j + 1]! * b[offset + j + 1]!;
    s2 += a[j + 2]! * b[offset + j + 2]!;
    s3 += a[j + 3]! * b[offset + j + 3]!;
  }
  for (; j < n; j++) s0 += a[j]! * b[offset + j]!;
  return s0 + s1 + (s2 + s3);
}
