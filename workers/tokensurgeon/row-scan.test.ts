/**
 * The WebAssembly scan (./row-scan.ts) against the JS one: the same inner products bit for bit,
 * so the same choices, whatever the width (whole blocks of 4 and a tail) and the chosen mask;
 * and a whole omp transplant writes the same bytes either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dotAt } from '../linalg/dot.ts';
import { matrix } from './matrix.ts';
import { bestJs, RowScan, setRowScanSimd } from './row-scan.ts';
import { surgery } from './test-helpers.ts';

/** Seeded values in [-1, 1) with no structure. */
const hash = (x: number): number => ((Math.abs(Math.sin(x * 12.9898 + 78.233)) * 43758.5453) % 2) - 1;

afterEach(() => setRowScanSimd(true));

describe('RowScan', () => {
  it('gives dotAt’s bits for every row, for any width', () => {
    for (const cols of [4, 7, 16, 130]) {
      const rows = 50;
      const data = Float32Array.from({ length: rows * cols }, (_, i) => hash(i - cols) * 10 ** (i % 7));
      const scan = RowScan.create(rows, cols, (i, dst) => dst.set(data.subarray(i * cols, (i + 1) * cols)));
      expect(scan.simd).toBe(true);
      const residual = Float64Array.from({ length: cols }, (_, j) => hash(j + 0.5) * 1e3 ** (j % 3));
      const out = scan.dots(residual, new Float64Array(rows));
      for (let i = 0; i < rows; i++)
        expect(Object.is(out[i], dotAt(residual, data, i * cols, cols))).toBe(true);
    }
  });

  it('chooses as the JS scan does, with the kernel, for any width and mask', () => {
    for (const cols of [4, 13, 16, 130]) {
      const rows = 300;
      const data = Float32Array.from({ length: rows * cols }, (_, i) => hash(i + cols));
      const scan = RowScan.create(rows, cols, (i, dst) => dst.set(data.subarray(i * cols, (i + 1) * cols)));
      expect(scan.simd).toBe(true);
      expect(scan.points.data.buffer).not.toBe(data.buffer);
      const plain = matrix(rows, cols, data);
      const chosen = new Uint8Array(rows);
      for (let t = 0; t < 40; t++) {
        const residual = Float64Array.from(
          { length: cols },
          (_, j) => hash(1e6 + t * cols + j) * 1e3 ** (j % 3),
        );
        const best = scan.best(residual, chosen);
        expect(best).toBe(bestJs(residual, plain, chosen));
        chosen[best] = 1;
      }
    }
    setRowScanSimd(false);
    expect(RowScan.create(3, 8, () => undefined).simd).toBe(false);
  });

  it('ties: the first row wins, as in the JS scan', () => {
    const scan = RowScan.create(5, 8, (i, dst) => dst.fill(i % 2 ? -1 : 1));
    const residual = new Float64Array(8).fill(0.5);
    expect(scan.best(residual, new Uint8Array(5))).toBe(0);
    expect(scan.best(residual, Uint8Array.from([1, 0, 0, 0, 0]))).toBe(1);
  });

  it('an omp transplant writes the same bytes with and without the kernel', async () => {
    const withKernel = await surgery({ k: 6 });
    setRowScanSimd(false);
    const without = await surgery({ k: 6 });
    for (const name of ['model.safetensors', 'config.json'])
      expect(Buffer.from(withKernel.files.get(name)!).equals(Buffer.from(without.files.get(name)!))).toBe(
        true,
      );
  });
});
