/**
 * The scan at every step of omp and mp_rope: the inner product of the residual with each shared
 * token's donor row, and the unchosen row where its absolute value is largest. Most of
 * tokensurgeon's time (k scans per new token).
 *
 * Where WebAssembly SIMD is available the rows are gathered into a WebAssembly memory of their
 * own and scanned by the `dots` kernel (workers/simd/wasm/dot-kernels.ts), which computes the
 * same four running sums as `dotAt` (../linalg/dot.ts), so the same bits and the same choices. The
 * memory is the scan's alone (not the merge kernels' arena, which never shrinks): it goes with
 * the scan when the approximation ends. Without SIMD, or for rows too large for one memory, the
 * JS loop runs.
 */
import { instantiateMergeKernels, type MergeKernels } from '../simd/merge-module.ts';
import { dotAt } from '../linalg/dot.ts';
import { matrix, row, type Matrix } from './matrix.ts';

const PAGE = 65536;
/** Rows above this many bytes stay in JS (a 32-bit WebAssembly memory, and room to spare). */
const MAX_WASM_BYTES = 2 ** 31;

let simdOff = false;
/** Switches the kernel off (or on) for this realm: tests and benchmarks compare the two paths. */
export function setRowScanSimd(on: boolean): void {
  simdOff = !on;
}

interface Wasm {
  readonly k: MergeKernels;
  readonly buffer: ArrayBuffer;
  readonly residual: Float64Array;
  readonly sums: Float64Array;
}

export class RowScan {
  private values: Float64Array | undefined;

  private constructor(
    /** The rows (in the scan's WebAssembly memory when it has one). */
    readonly points: Matrix,
    private readonly wasm: Wasm | undefined,
  ) {}

  /** A scan over `rows` x `cols` rows, filled by `fill` (row i into its slice). */
  static create(rows: number, cols: number, fill: (i: number, dst: Float32Array) => void): RowScan {
    const blocks = Math.floor(cols / 4);
    const bytes = 128 + rows * cols * 4 + cols * 8 + rows * 32; // with room to align
    const wasm = !simdOff && blocks > 0 && rows > 0 && bytes <= MAX_WASM_BYTES ? wasmFor(rows, cols, bytes) : undefined; // prettier-ignore
    const data = wasm ? new Float32Array(wasm.buffer, 64, rows * cols) : new Float32Array(rows * cols);
    const points = matrix(rows, cols, data);
    for (let i = 0; i < rows; i++) fill(i, row(points, i));
    return new RowScan(points, wasm);
  }

  /** Whether the scan runs the WebAssembly kernel. */
  get simd(): boolean {
    return this.wasm !== undefined;
  }

  /** ⟨residual, row i⟩ for every row, into `out` (the bits of ../linalg/dot.ts dotAt). */
  dots(residual: Float64Array, out: Float64Array): Float64Array {
    const { rows, cols, data } = this.points;
    const w = this.wasm;
    if (!w) {
      for (let i = 0; i < rows; i++) out[i] = dotAt(residual, data, i * cols, cols);
      return out;
    }
    const blocks = Math.floor(cols / 4);
    const whole = blocks * 4;
    w.residual.set(residual.subarray(0, whole));
    w.k.dots(data.byteOffset, rows, blocks, w.residual.byteOffset, w.sums.byteOffset, 4 * (cols - whole));
    const sums = w.sums;
    for (let i = 0; i < rows; i++) {
      let s0 = sums[4 * i]!;
      for (let j = whole; j < cols; j++) s0 += residual[j]! * data[i * cols + j]!;
      out[i] = s0 + sums[4 * i + 1]! + (sums[4 * i + 2]! + sums[4 * i + 3]!);
    }
    return out;
  }

  /** The row not yet `chosen` with the largest |⟨residual, row⟩| (the first on ties). */
  best(residual: Float64Array, chosen: Uint8Array): number {
    if (!this.wasm) return bestJs(residual, this.points, chosen);
    const values = this.dots(residual, (this.values ??= new Float64Array(this.points.rows)));
    return argmaxAbs(values, chosen);
  }
}

/** The JS scan (and the reference the kernel matches). */
export function bestJs(residual: ArrayLike<number>, points: Matrix, chosen: Uint8Array): number {
  const dim = points.cols;
  const values = Float64Array.from({ length: points.rows }, (_, i) =>
    dotAt(residual, points.data, i * dim, dim),
  );
  return argmaxAbs(values, chosen);
}

/** The index not `chosen` with the largest |values[i]| (the first on ties). */
function argmaxAbs(values: Float64Array, chosen: Uint8Array): number {
  let best = -1;
  let bestVal = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (chosen[i]) continue;
    const v = Math.abs(values[i]!);
    if (v > bestVal || best < 0) {
      best = i;
      bestVal = v;
    }
  }
  return best;
}

function wasmFor(rows: number, cols: number, bytes: number): Wasm | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
  } catch {
    return undefined; // no room for it: the JS scan
  }
  const k = instantiateMergeKernels(memory);
  if (!k) return undefined;
  const residualAt = 64 + rows * cols * 4;
  const aligned = Math.ceil(residualAt / 16) * 16;
  const sumsAt = Math.ceil((aligned + cols * 8) / 16) * 16;
  if (sumsAt + rows * 32 > memory.buffer.byteLength) return undefined;
  return {
    k,
    buffer: memory.buffer,
    residual: new Float64Array(memory.buffer, aligned, Math.floor(cols / 4) * 4),
    sums: new Float64Array(memory.buffer, sumsAt, rows * 4),
  };
}
