/**
 * Y = X W^T for Hugging Face Linear weights (W is [out, in], row-major), the one operation
 * that costs anything in a decoder forward pass.
 *
 * W is packed once per model into panels of 8 output rows, interleaved by input index:
 * panel p, step k holds W[8p..8p+7, k] contiguously, so the kernel's inner loop reads the
 * 8 weights of one step as two 16-byte vectors, and all of X's rows in a block share them.
 * A last panel with fewer than 8 rows is zero-padded; its results go through a small scratch
 * buffer so that the kernel never writes past column `n` of Y.
 *
 * Two implementations with the same contract: the WebAssembly SIMD kernel (fast path) and a
 * plain-JS loop (the reference, and the fallback where WebAssembly SIMD is missing). Both
 * accumulate in float32 in the same order per output, so they agree to float rounding.
 */
import type { Arena } from './arena.ts';
import { GEMM_BLOCK_ROWS } from '../wasm/gemm-module.ts';

/** Output rows per panel: two f32x4 vectors. */
export const PANEL = 8;

export interface PackedMatrix {
  /** Output features (W's rows). */
  readonly n: number;
  /** Input features (W's columns). */
  readonly k: number;
  /** ceil(n / 8) panels of k x 8 floats. */
  readonly data: Float32Array;
  /** Added to every output row, when the layer has one. */
  readonly bias: Float32Array | undefined;
}

export function packedSize(n: number, k: number): number {
  return Math.ceil(n / PANEL) * PANEL * k;
}

/**
 * Packs row blocks of [rows_i, k] row-major matrices, stacked, as one matrix of
 * sum(rows_i) rows into `out` (packedSize floats; the padding rows are zeroed).
 */
export function packRows(
  parts: readonly { readonly data: Float32Array; readonly rows: number }[],
  k: number,
  out: Float32Array,
): void {
  let row = 0;
  const at = (r: number): number => Math.floor(r / PANEL) * k * PANEL + (r % PANEL);
  for (const part of parts) {
    for (let r = 0; r < part.rows; r++, row++) {
      const base = at(row);
      const src = r * k;
      for (let c = 0; c < k; c++) out[base + c * PANEL] = part.data[src + c]!;
    }
  }
  for (; row % PANEL !== 0; row++) {
    const base = at(row);
    for (let c = 0; c < k; c++) out[base + c * PANEL] = 0;
  }
}

export interface Matmul {
  readonly kind: 'wasm-simd' | 'js';
  /**
   * y[r * ldy + j] (+)= bias[j] + sum_c x[r * ldx + c] * W[j, c] for r < rows, j < w.n.
   * `x` and `y` start at row 0; with `accumulate` the product is added to y.
   */
  run(
    x: Float32Array,
    ldx: number,
    w: PackedMatrix,
    y: Float32Array,
    ldy: number,
    rows: number,
    accumulate?: boolean,
  ): void;
}

/** The matmul for buffers of `arena`: WebAssembly when the arena lives in its memory. */
export function matmulFor(arena: Arena, scratchRows: number): Matmul {
  const wasm = arena.wasm;
  if (!wasm) return jsMatmul;
  const scratch = arena.alloc(scratchRows * PANEL);
  return {
    kind: 'wasm-simd',
    run(x, ldx, w, y, ldy, rows, accumulate = false) {
      if (rows === 0 || w.n === 0) return;
      arena.check(x, w.data, y);
      const full = Math.floor(w.n / PANEL);
      const kb = w.k * 4;
      const acc = accumulate ? 1 : 0;
      const block = rows - (rows % GEMM_BLOCK_ROWS);
      if (full > 0) {
        if (block > 0)
          wasm.gemm4(x.byteOffset, ldx * 4, w.data.byteOffset, kb, full, y.byteOffset, ldy * 4, block, acc);
        for (let r = block; r < rows; r++) {
          wasm.gemm1(
            x.byteOffset + r * ldx * 4,
            ldx * 4,
            w.data.byteOffset,
            kb,
            full,
            y.byteOffset + r * ldy * 4,
            ldy * 4,
            1,
            acc,
          );
        }
      }
      const tail = w.n - full * PANEL;
      if (tail > 0) {
        // The partial last panel: compute 8 columns into scratch, keep the first `tail`.
        const tailPanel = w.data.byteOffset + full * w.k * PANEL * 4;
        for (let r0 = 0; r0 < rows; r0 += scratchRows) {
          const n = Math.min(scratchRows, rows - r0);
          for (let r = 0; r < n; r++) {
            for (let j = 0; j < tail; j++)
              scratch[r * PANEL + j] = accumulate ? y[(r0 + r) * ldy + full * PANEL + j]! : 0;
          }
          const xb = x.byteOffset + r0 * ldx * 4;
          const nb = n - (n % GEMM_BLOCK_ROWS);
          if (nb > 0) wasm.gemm4(xb, ldx * 4, tailPanel, kb, 1, scratch.byteOffset, PANEL * 4, nb, 1);
          for (let r = nb; r < n; r++) {
            wasm.gemm1(
              xb + r * ldx * 4,
              ldx * 4,
              tailPanel,
              kb,
              1,
              scratch.byteOffset + r * PANEL * 4,
              PANEL * 4,
              1,
              1,
            );
          }
          for (let r = 0; r < n; r++) {
            for (let j = 0; j < tail; j++) y[(r0 + r) * ldy + full * PANEL + j] = scratch[r * PANEL + j]!;
          }
        }
      }
      if (w.bias) addBias(y, ldy, rows, w.bias);
    },
  };
}

function addBias(y: Float32Array, ldy: number, rows: number, bias: Float32Array): void {
  const n = bias.length;
  for (let r = 0; r < rows; r++) {
    const o = r * ldy;
    for (let j = 0; j < n; j++) y[o + j] = y[o + j]! + bias[j]!;
  }
}

/**
 * The reference: one row by one panel at a time, in the kernel's order and float32 rounding
 * (a sum starting from y or 0, one product added per input index), so both agree exactly.
 */
export const jsMatmul: Matmul = {
  kind: 'js',
  run(x, ldx, w, y, ldy, rows, accumulate = false) {
    const { n, k, data } = w;
    const f = Math.fround;
    const panels = Math.ceil(n / PANEL);
    for (let r = 0; r < rows; r++) {
      const xo = r * ldx;
      for (let p = 0; p < panels; p++) {
        const yo = r * ldy + p * PANEL;
        const cols = Math.min(PANEL, n - p * PANEL);
        const init = (j: number): number => (accumulate && j < cols ? y[yo + j]! : 0);
        let s0 = init(0), s1 = init(1), s2 = init(2), s3 = init(3), s4 = init(4), s5 = init(5), s6 = init(6), s7 = init(7); // prettier-ignore
        let q = p * k * PANEL;
        for (let c = 0; c < k; c++, q += PANEL) {
          const a = x[xo + c]!;
          s0 = f(s0 + f(a * data[q]!));
          s1 = f(s1 + f(a * data[q + 1]!));
          s2 = f(s2 + f(a * data[q + 2]!));
          s3 = f(s3 + f(a * data[q + 3]!));
          s4 = f(s4 + f(a * data[q + 4]!));
          s5 = f(s5 + f(a * data[q + 5]!));
          s6 = f(s6 + f(a * data[q + 6]!));
          s7 = f(s7 + f(a * data[q + 7]!));
        }
        const sums = [s0, s1, s2, s3, s4, s5, s6, s7];
        for (let j = 0; j < cols; j++) y[yo + j] = sums[j]!;
      }
    }
    if (w.bias) addBias(y, ldy, rows, w.bias);
  },
};
