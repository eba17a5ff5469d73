/**
 * The elementwise steps that cost (exponentials, RMSNorm), with the same two implementations as the matmul: the
 * WebAssembly SIMD kernels (a polynomial exp, ~1e-7 relative error) when the buffers live in
 * the arena's WebAssembly memory, and Math.exp in plain JS otherwise (the reference).
 */
import type { Arena } from './arena.ts';

export interface VectorOps {
  readonly kind: 'wasm-simd' | 'js';
  /** Over `rows` rows of [gate | up] (width 2 * dim): gate <- silu(gate) * up. */
  siluMul(gu: Float32Array, rows: number, dim: number): void;
  /** x[o + i] <- exp((x[o + i] - shift) * scale) for i < n, in place; returns their sum. */
  expSum(x: Float32Array, offset: number, n: number, shift: number, scale: number): number;
  /** out[r] = w * x[r] / sqrt(mean(x[r]^2) + eps), for `rows` contiguous rows of `dim`. */
  rmsNorm(x: Float32Array, w: Float32Array, out: Float32Array, rows: number, dim: number, eps: number): void;
}

function jsSiluMul(gu: Float32Array, from: number, rows: number, dim: number): void {
  const ld = 2 * dim;
  for (let r = 0; r < rows; r++) {
    const o = r * ld;
    for (let j = from; j < dim; j++) {
      const g = gu[o + j]!;
      gu[o + j] = Math.fround(g / (1 + Math.exp(-g))) * gu[o + dim + j]!;
    }
  }
}

function jsExpSum(x: Float32Array, offset: number, n: number, shift: number, scale: number): number {
  let sum = 0;
  for (let i = offset; i < offset + n; i++) {
    const e = Math.fround(Math.exp((x[i]! - shift) * scale));
    x[i] = e;
    sum += e;
  }
  return sum;
}

/** The reference RMSNorm: the sum of squares in float64, the result rounded as transformers does. */
export function jsRmsNorm(
  x: Float32Array,
  w: Float32Array,
  out: Float32Array,
  rows: number,
  dim: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += x[o + j]! * x[o + j]!;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let j = 0; j < dim; j++) out[o + j] = w[j]! * Math.fround(x[o + j]! * inv);
  }
}

export const jsVectorOps: VectorOps = {
  kind: 'js',
  siluMul: (gu, rows, dim) => jsSiluMul(gu, 0, rows, dim),
  expSum: jsExpSum,
  rmsNorm: jsRmsNorm,
};

export function vectorOpsFor(arena: Arena): VectorOps {
  const wasm = arena.wasm;
  if (!wasm) return jsVectorOps;
  return {
    kind: 'wasm-simd',
    siluMul(gu, rows, dim) {
      arena.check(gu);
      const blocks = Math.floor(dim / 4);
      if (rows > 0 && blocks > 0) wasm.silumul(gu.byteOffset, rows, blocks, dim * 4, dim * 8);
      if (blocks * 4 < dim) jsSiluMul(gu, blocks * 4, rows, dim);
    },
    expSum(x, offset, n, shift, scale) {
      arena.check(x);
      const blocks = Math.floor(n / 4);
      const head = blocks > 0 ? wasm.expsum(x.byteOffset + offset * 4, blocks, shift, scale) : 0;
      return head + jsExpSum(x, offset + blocks * 4, n - blocks * 4, shift, scale);
    },
    rmsNorm(x, w, out, rows, dim, eps) {
      if (dim % 4 !== 0 || rows === 0) return jsRmsNorm(x, w, out, rows, dim, eps);
      arena.check(x, w, out);
      wasm.rmsnorm(x.byteOffset, w.byteOffset, out.byteOffset, rows, dim / 4, 1 / dim, eps);
    },
  };
}
