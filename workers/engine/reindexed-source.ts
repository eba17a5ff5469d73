/**
 * An embedding-like tensor's inputs rebuilt for the output tokenizer, as mergekit's
 * PermutedEmbeddings does before the merge method sees them (tokenizer/embed.py), read chunk by
 * chunk like any other input (../methods/stream.ts ChunkSource), so a streaming or elementwise
 * method still holds only the stored bytes of each input:
 *
 * - row `id` of a model is its own row for that token (PlannedInput.reindex.rows[id]), or,
 *   where it lacks the token (or the token's config has `force`), the token's default row
 *   (TensorVocab.defaults): zeros, one model's row, or the average of several models' rows;
 * - rows past the tokenizer's length (`pad_to_multiple_of`) are the mean of the model's rebuilt
 *   rows, computed once per input (a pass over its rows, one row of memory).
 *
 * Values are decoded from the stored bytes and rounded to the compute dtype; the sums and the
 * division of an average are rounded as torch does them in that dtype (one rounding per add);
 * the mean of the padding is summed in float64 (docs/differences.md, reductions).
 */
import { decodeToF32, DTYPE_SIZE, roundArrayTo, type WritableDType } from '../io/dtypes.ts';
import type { ChunkSource } from '../methods/stream.ts';
import type { PlannedInput, PlannedTensor } from '../plan/plan-types.ts';
import type { RowDefault } from '../plan/tokenizer-plan.ts';

interface Stored {
  readonly input: PlannedInput;
  readonly bytes: Uint8Array;
}

export function reindexedSource(
  t: PlannedTensor,
  baseBytes: Uint8Array | undefined,
  inputBytes: readonly (Uint8Array | undefined)[],
  computeDtype: WritableDType,
): ChunkSource {
  const vocab = t.vocab!;
  const cols = t.shape[1]!;
  const rows = t.shape[0]!;
  const byModel = new Map<string, Stored>();
  const stored = (k: number): Stored =>
    k < 0 ? { input: t.base!, bytes: baseBytes! } : { input: t.inputs[k]!, bytes: inputBytes[k]! };
  if (t.base && baseBytes) byModel.set(t.base.model, stored(-1));
  t.inputs.forEach((_, k) => byModel.set(t.inputs[k]!.model, stored(k)));
  const defaults = new Map<number, RowDefault>(vocab.defaults.map((d) => [d.id, d]));
  const scratch = new Float32Array(cols);
  const means = new Map<number, Float32Array>();

  /** Columns [c0, c0 + out.length) of `model`'s stored row `row`, rounded to the compute dtype. */
  const storedRow = (model: string, row: number, c0: number, out: Float32Array): void => {
    const s = byModel.get(model);
    if (!s) throw new Error(`${t.name}: no bytes of ${model} to take row ${row} from`);
    const size = DTYPE_SIZE[s.input.dtype];
    const at = (row * cols + c0) * size;
    decodeToF32(s.bytes.subarray(at, at + out.length * size), s.input.dtype, out);
    if (s.input.dtype !== computeDtype) roundArrayTo(out, computeDtype);
  };

  /** Columns [c0, ...) of the default row `d`: zeros, a copy, or a sum rounded at each add, divided. */
  const defaultRow = (d: RowDefault, c0: number, out: Float32Array): void => {
    out.fill(0);
    if (d.from.length === 1) storedRow(d.from[0]!.model, d.from[0]!.row, c0, out);
    if (d.from.length <= 1) return;
    const part = scratch.subarray(0, out.length);
    for (const f of d.from) {
      storedRow(f.model, f.row, c0, part);
      for (let c = 0; c < out.length; c++) out[c] = out[c]! + part[c]!;
      roundArrayTo(out, computeDtype);
    }
    for (let c = 0; c < out.length; c++) out[c] = out[c]! / d.from.length;
    roundArrayTo(out, computeDtype);
  };

  /** Columns [c0, ...) of input k's rebuilt row `id` (id < vocab.size). */
  const tokenRow = (k: number, id: number, c0: number, out: Float32Array): void => {
    const s = stored(k);
    const own = s.input.reindex!.rows[id]!;
    const d = defaults.get(id);
    if (d && (d.force || own < 0)) defaultRow(d, c0, out);
    else if (own >= 0) storedRow(s.input.model, own, c0, out);
    else out.fill(0); // no source at all: mergekit logs an error and leaves zeros
  };

  /** Input k's padding row: the mean of its rebuilt token rows. */
  const meanRow = (k: number): Float32Array => {
    let m = means.get(k);
    if (m) return m;
    const sum = new Float64Array(cols);
    const row = new Float32Array(cols);
    for (let id = 0; id < vocab.size; id++) {
      tokenRow(k, id, 0, row);
      for (let c = 0; c < cols; c++) sum[c] = sum[c]! + row[c]!;
    }
    m = new Float32Array(cols);
    for (let c = 0; c < cols; c++) m[c] = sum[c]! / vocab.size;
    roundArrayTo(m, computeDtype);
    means.set(k, m);
    return m;
  };

  return {
    numel: rows * cols,
    count: t.inputs.length,
    hasBase: t.base !== undefined,
    read(k, start, out) {
      const end = start + out.length;
      for (let e = start; e < end;) {
        const id = Math.floor(e / cols);
        const c0 = e - id * cols;
        const n = Math.min(cols - c0, end - e);
        const dst = out.subarray(e - start, e - start + n);
        if (id < vocab.size) tokenRow(k, id, c0, dst);
        else dst.set(meanRow(k).subarray(c0, c0 + n));
        e += n;
      }
    },
  };
}
