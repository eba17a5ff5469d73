/**
 * An embedding-like tensor's inputs rebuilt for the output tokenizer, as mergekit's
 * PermutedEmbeddings does before the merge method sees them (tokenizer/embed.py): row `id` of
 * each model is its own row for that token, or, where it lacks the token (or the token's
 * config has `force`), the token's default row: zeros, one model's row, or the average of
 * several models' rows. Rows past the tokenizer's length (`pad_to_multiple_of`) are the mean
 * of the model's rebuilt rows.
 *
 * The rows are decoded straight from the stored bytes and rounded to the compute dtype; sums
 * and the division of an average are rounded as torch does them in that dtype. The mean of the
 * padding is summed in float64 (docs/differences.md, reductions).
 */
import { decodeToF32, DTYPE_SIZE, roundArrayTo, type WritableDType } from '../io/dtypes.ts';
import type { PlannedInput, PlannedTensor, TensorVocab } from '../plan/plan-types.ts';
import type { RowDefault } from '../plan/tokenizer-plan.ts';

interface Stored {
  readonly input: PlannedInput;
  readonly bytes: Uint8Array;
}

export interface RebuiltInputs {
  readonly base: Float32Array | undefined;
  readonly inputs: Float32Array[];
}

export function rebuildEmbeddings(
  t: PlannedTensor,
  baseBytes: Uint8Array | undefined,
  inputBytes: readonly (Uint8Array | undefined)[],
  computeDtype: WritableDType,
): RebuiltInputs {
  const vocab = t.vocab!;
  const stored = new Map<string, Stored>();
  if (t.base && baseBytes) stored.set(t.base.model, { input: t.base, bytes: baseBytes });
  t.inputs.forEach((input, k) => stored.set(input.model, { input, bytes: inputBytes[k]! }));
  const cols = t.shape[1]!;
  const readRow = (model: string, row: number, out: Float32Array): void => {
    const s = stored.get(model);
    if (!s) throw new Error(`${t.name}: no bytes of ${model} to take row ${row} from`);
    const size = DTYPE_SIZE[s.input.dtype];
    decodeToF32(s.bytes.subarray(row * cols * size, (row + 1) * cols * size), s.input.dtype, out);
    if (s.input.dtype !== computeDtype) roundArrayTo(out, computeDtype);
  };
  const rebuild = (input: PlannedInput): Float32Array =>
    rebuildOne(input, vocab, t.shape[0]!, cols, computeDtype, readRow);
  return {
    base: t.base && baseBytes ? rebuild(t.base) : undefined,
    inputs: t.inputs.map(rebuild),
  };
}

function rebuildOne(
  input: PlannedInput,
  vocab: TensorVocab,
  rows: number,
  cols: number,
  computeDtype: WritableDType,
  readRow: (model: string, row: number, out: Float32Array) => void,
): Float32Array {
  const own = input.reindex!.rows;
  const out = new Float32Array(rows * cols);
  const scratch = new Float32Array(cols);
  const defaults = new Map<number, RowDefault>(vocab.defaults.map((d) => [d.id, d]));
  for (let id = 0; id < vocab.size; id++) {
    const dst = out.subarray(id * cols, (id + 1) * cols);
    const d = defaults.get(id);
    if (d && (d.force || own[id]! < 0)) defaultRow(d, dst, scratch, computeDtype, readRow);
    else if (own[id]! >= 0) readRow(input.model, own[id]!, dst);
    // else: no source at all; mergekit logs an error and leaves zeros
  }
  if (rows > vocab.size) {
    const mean = new Float64Array(cols);
    for (let id = 0; id < vocab.size; id++) {
      for (let c = 0; c < cols; c++) mean[c] = mean[c]! + out[id * cols + c]!;
    }
    const row = scratch;
    for (let c = 0; c < cols; c++) row[c] = mean[c]! / vocab.size;
    roundArrayTo(row, computeDtype);
    for (let id = vocab.size; id < rows; id++) out.set(row, id * cols);
  }
  return out;
}

/** The token's default row into `dst`: zeros, a copy, or a sum rounded at each step, divided. */
function defaultRow(
  d: RowDefault,
  dst: Float32Array,
  scratch: Float32Array,
  computeDtype: WritableDType,
  readRow: (model: string, row: number, out: Float32Array) => void,
): void {
  if (d.from.length === 0) return; // zeros
  if (d.from.length === 1) {
    readRow(d.from[0]!.model, d.from[0]!.row, dst);
    return;
  }
  // embed = zeros; embed += row (each add rounded to the dtype); embed /= count
  for (const f of d.from) {
    readRow(f.model, f.row, scratch);
    for (let c = 0; c < dst.length; c++) dst[c] = dst[c]! + scratch[c]!;
    roundArrayTo(dst, computeDtype);
  }
  for (let c = 0; c < dst.length; c++) dst[c] = dst[c]! / d.from.length;
  roundArrayTo(dst, computeDtype);
}
