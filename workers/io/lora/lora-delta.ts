/**
 * The arithmetic of merging a LoRA layer into its weight, element range by element range, as
 * PEFT's `merge_and_unload()` does it in mergekit's setup (huggingface/peft,
 * src/peft/tuners/lora/layer.py; the why of each rounding is in docs/differences.md):
 *
 *   delta = float32(B @ A) * float32(scaling)           in float32 (PEFT upcasts the adapter)
 *   linear layers:  W' = dtype(float32(W + delta))       (`weight += delta`, torch computes in float32)
 *   embeddings:     W' = dtype(float32(W + dtype(delta)))  (`weight += delta.to(weight.dtype)`)
 *
 * Pure and synchronous: bytes in, bytes out. Any range of a tensor can be patched on its own,
 * because one row of the delta needs only one row of the left factor and all of the right one.
 */
import { decodeToF32, DTYPE_SIZE, encodeFromF32, rounderFor, type WritableDType } from '../dtypes.ts';

export type LoraLayerKind = 'linear' | 'embedding';

/**
 * delta[row, col] = scaling * sum_k left[row, k] * right[k, col], with the factors laid out
 * for that formula whatever the weight's orientation (see loraFactors).
 */
export interface LoraFactors {
  readonly rows: number;
  readonly cols: number;
  readonly rank: number;
  /** rows x rank, row-major. */
  readonly left: Float32Array;
  /** rank x cols, row-major. */
  readonly right: Float32Array;
  /** Already a float32 value. */
  readonly scaling: number;
  readonly kind: LoraLayerKind;
}

/**
 * Factors from PEFT's A (rank x in) and B (out x rank), decoded to float32. `transposed`: the
 * weight is stored (in, out), as a Conv1D with fan_in_fan_out or an embedding (whose A is
 * rank x vocab and B is dim x rank, and whose weight is vocab x dim): then
 * delta[i, o] = sum_k A[k, i] * B[o, k].
 */
export function loraFactors(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  scaling: number,
  kind: LoraLayerKind,
  transposed: boolean,
): LoraFactors {
  const rank = aShape[0]!;
  const inner = aShape[1]!;
  const outer = bShape[0]!;
  if (!transposed) return { rows: outer, cols: inner, rank, left: b, right: a, scaling, kind };
  const left = new Float32Array(inner * rank);
  for (let k = 0; k < rank; k++) for (let i = 0; i < inner; i++) left[i * rank + k] = a[k * inner + i]!;
  const right = new Float32Array(rank * outer);
  for (let o = 0; o < outer; o++) for (let k = 0; k < rank; k++) right[k * outer + o] = b[o * rank + k]!;
  return { rows: inner, cols: outer, rank, left, right, scaling, kind };
}

/**
 * Adds the delta to `bytes` in place: whole elements of a weight of `dtype`, starting at
 * element `first` (row-major) of the factors' rows x cols matrix.
 *
 * The matrix product is summed in float64 and rounded once to float32; torch sums in float32
 * in an order its BLAS picks, so a float32 result may differ in its last bit (and, rarely, a
 * bf16 one where that bit decides the rounding).
 */
export function addLoraDelta(bytes: Uint8Array, dtype: WritableDType, f: LoraFactors, first: number): void {
  const n = bytes.byteLength / DTYPE_SIZE[dtype];
  if (!Number.isInteger(n) || first < 0 || first + n > f.rows * f.cols) {
    throw new RangeError(`elements ${first}-${first + n} are outside the ${f.rows}x${f.cols} weight`);
  }
  const values = decodeToF32(bytes, dtype);
  const round = rounderFor(dtype);
  const { cols, rank, left, right, scaling } = f;
  const acc = new Float64Array(Math.min(cols, n));
  let i = 0;
  while (i < n) {
    const e = first + i;
    const row = Math.floor(e / cols);
    const c0 = e - row * cols;
    const len = Math.min(cols - c0, n - i);
    acc.fill(0, 0, len);
    for (let k = 0; k < rank; k++) {
      const p = left[row * rank + k]!;
      const at = k * cols + c0;
      for (let j = 0; j < len; j++) acc[j]! += p * right[at + j]!;
    }
    for (let j = 0; j < len; j++) {
      const delta = Math.fround(Math.fround(acc[j]!) * scaling);
      const w = values[i + j]!;
      values[i + j] = f.kind === 'linear' ? Math.fround(w + delta) : Math.fround(w + round(delta));
    }
    i += len;
  }
  encodeFromF32(values, dtype, bytes);
}
