import { describe, expect, it } from 'vitest';
import { Arena } from './arena.ts';
import { jsVectorOps, vectorOpsFor } from './vector-ops.ts';

const arena = Arena.create(1 << 16);
const wasm = vectorOpsFor(arena);

const silu = (g: number): number => g / (1 + Math.exp(-g));

describe('vector ops', () => {
  it('runs the WebAssembly kernels in Node', () => {
    expect(wasm.kind).toBe('wasm-simd');
  });

  it('expSum: hand values, then the polynomial against Math.exp over the whole range', () => {
    const x = arena.alloc(7);
    x.set([0, 1, 2, -1, 0.5, 3, 1]); // 7 values: one block of 4 and a JS tail of 3
    const sum = wasm.expSum(x, 0, 7, 1, 2); // exp((x - 1) * 2)
    const want = [-2, 0, 2, -4, -1, 4, 0].map(Math.exp);
    for (let i = 0; i < 7; i++) expect(x[i]! / want[i]! - 1).toBeCloseTo(0, 6);
    expect(sum / want.reduce((a, b) => a + b) - 1).toBeCloseTo(0, 6);
    const n = 4000;
    const y = arena.alloc(n);
    for (let i = 0; i < n; i++) y[i] = -87 + (175 * i) / n;
    wasm.expSum(y, 0, n, 0, 1);
    for (let i = 0; i < n; i++) {
      const v = -87 + (175 * i) / n;
      expect(Math.abs(y[i]! / Math.exp(Math.fround(v)) - 1)).toBeLessThan(3e-7);
    }
  });

  it('expSum clamps instead of overflowing: exp(-1000) is tiny, exp(1000) finite', () => {
    const x = arena.alloc(4);
    x.set([-1000, 1000, 0, 0]);
    wasm.expSum(x, 0, 4, 0, 1);
    expect(x[0]).toBeLessThan(1e-37);
    expect(Number.isFinite(x[1])).toBe(true);
  });

  it('refuses buffers outside its arena', () => {
    expect(() => wasm.expSum(new Float32Array(8), 0, 8, 0, 1)).toThrow(RangeError);
  });

  it('rmsNorm: x / rms(x) * w, both implementations, odd widths through JS', () => {
    for (const ops of [wasm, jsVectorOps]) {
      const x = arena.alloc(8);
      x.set([3, 4, 0, 0, 1, 1, 1, 1]);
      const w = arena.alloc(4);
      w.set([1, 2, 1, 1]);
      const out = arena.alloc(8);
      ops.rmsNorm(x, w, out, 2, 4, 0);
      const rms = Math.sqrt(25 / 4);
      expect([...out].map((v) => +v.toFixed(6))).toEqual(
        [3 / rms, 8 / rms, 0, 0, 1, 2, 1, 1].map((v) => +v.toFixed(6)),
      );
    }
    const odd = arena.alloc(3);
    odd.set([1, 2, 2]);
    const out = arena.alloc(3);
    wasm.rmsNorm(odd, Float32Array.of(1, 1, 1), out, 1, 3, 1);
    expect(out[1]).toBeCloseTo(2 / Math.sqrt(3 + 1), 6); // mean square 3, eps 1
  });

  it('siluMul: gate <- silu(gate) * up, for both implementations', () => {
    for (const ops of [wasm, jsVectorOps]) {
      const gu = arena.alloc(2 * 2 * 5); // 2 rows of [5 gate | 5 up]: a block of 4 and a tail of 1
      gu.set([0, 1, -1, 2, 10, 1, 2, 3, 4, 5, 0, 0, 0, 0, -20, 9, 9, 9, 9, 1]);
      ops.siluMul(gu, 2, 5);
      const want = [0, silu(1) * 2, silu(-1) * 3, silu(2) * 4, silu(10) * 5, 0, 0, 0, 0, silu(-20)];
      for (const [i, j] of [0, 1, 2, 3, 4, 10, 11, 12, 13, 14].entries()) {
        expect(gu[j]).toBeCloseTo(want[i]!, 6);
      }
      expect(gu[5]).toBe(1); // the up half is left as it was
    }
  });
});
