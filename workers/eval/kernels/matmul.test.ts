import { describe, expect, it } from 'vitest';
import { kernelModule } from '../wasm/kernel-module.ts';
import { Arena } from './arena.ts';
import { matmulFor, packedSize, packRows, type Matmul, type PackedMatrix } from './matmul.ts';

function packed(arena: Arena, w: number[][], bias?: number[]): PackedMatrix {
  const n = w.length;
  const k = w[0]!.length;
  const data = arena.alloc(packedSize(n, k));
  packRows([{ data: Float32Array.from(w.flat()), rows: n }], k, data);
  return { n, k, data, bias: bias ? Float32Array.from(bias) : undefined };
}

/** A deterministic pseudo-random matrix with entries in [-1, 1). */
function matrix(rows: number, cols: number, seed: number): number[][] {
  let s = seed;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
  return Array.from({ length: rows }, () => Array.from({ length: cols }, next));
}

describe('packed matmul', () => {
  it('is available as WebAssembly SIMD in Node', () => {
    expect(kernelModule()).not.toBeNull();
    expect(matmulFor(Arena.create(1024), 4).kind).toBe('wasm-simd');
    expect(matmulFor(Arena.create(1024, 'js'), 4).kind).toBe('js');
  });

  for (const backend of ['auto', 'js'] as const) {
    it(`computes x W^T + bias by hand (${backend})`, () => {
      const arena = Arena.create(4096, backend);
      const mm = matmulFor(arena, 8);
      // W is [out=3, in=2]: y = [x0, x1, x0 + x1] + bias
      const w = packed(arena, [[1, 0], [0, 1], [1, 1]], [10, 20, 30]); // prettier-ignore
      const x = arena.alloc(4);
      x.set([1, 2, 3, 4]);
      const y = arena.alloc(6);
      mm.run(x, 2, w, y, 3, 2);
      expect([...y]).toEqual([11, 22, 33, 13, 24, 37]);
      mm.run(x, 2, w, y, 3, 2, true); // accumulate: adds the product and the bias again
      expect([...y]).toEqual([22, 44, 66, 26, 48, 74]);
    });
  }

  it('agrees exactly between WebAssembly and JS, on odd sizes, strides and accumulation', () => {
    const rows = 11; // two blocks of 4 and 3 single rows
    const n = 21; // two full panels and a tail of 5
    const k = 37;
    const ldx = 40;
    const ldy = 25;
    const w = matrix(n, k, 1);
    const x = matrix(rows, ldx, 2).flat();
    const y0 = matrix(rows, ldy, 3).flat();
    const results: Float32Array[] = [];
    for (const backend of ['auto', 'js'] as const) {
      const arena = Arena.create(16384, backend);
      const mm: Matmul = matmulFor(arena, 4); // scratch of 4 rows: the tail runs in 3 chunks
      const pw = packed(
        arena,
        w,
        Array.from({ length: n }, (_, j) => j / 10),
      );
      const xs = arena.alloc(rows * ldx);
      xs.set(x);
      const ys = arena.alloc(rows * ldy);
      ys.set(y0);
      mm.run(xs, ldx, pw, ys, ldy, rows, true);
      results.push(ys);
    }
    const [wasm, js] = results as [Float32Array, Float32Array];
    expect([...wasm]).toEqual([...js]);
    // Against a float64 reference; columns past n are untouched.
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < ldy; j++) {
        let want = y0[r * ldy + j]!;
        if (j < n) {
          want += j / 10;
          for (let c = 0; c < k; c++) want += x[r * ldx + c]! * w[j]![c]!;
          expect(Math.abs(wasm[r * ldy + j]! - want)).toBeLessThan(1e-5);
        } else {
          expect(wasm[r * ldy + j]).toBe(Math.fround(want));
        }
      }
    }
  });

  it('refuses to allocate past the arena', () => {
    const arena = Arena.create(8);
    arena.alloc(8);
    expect(() => arena.alloc(1)).toThrow(RangeError);
  });
});
