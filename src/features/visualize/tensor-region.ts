/**
 * Reads what a teaching view needs of a real tensor, and nothing more: the whole tensor when it
 * is small enough to hold (the sphere's angle needs every element), or a band of whole rows
 * around a 16x16 patch of a large matrix. Bytes come from the model's own source (the hub's
 * range reads, or a local folder's File) and are decoded by the engine's codecs.
 *
 * Tensors are viewed as matrices along their last dimension, as the engine's row-wise code
 * does (1-D tensors are one row).
 */
import { decodeToF32, DTYPE_SIZE } from '../../../workers/io/dtypes.ts';
import type { LoadedModel } from '../../../workers/io/load-model.ts';
import { rowsOf } from '../../../workers/methods/shared/vec.ts';

/** Largest tensor the sphere reads whole: 2^24 elements, a 4096 x 4096 projection (64 MB as float32). */
export const MAX_WHOLE_ELEMENTS = 1 << 24;
/**
 * Largest tensor the TIES and DARE views read whole (2^18 elements, a 512 x 512 matrix): their
 * kernels rerun on what is read at every density step, on the page's thread (three models of
 * 2^20 elements took 0.8 s per step here, too slow for a slider). Larger tensors are read as a
 * band of rows, so the trim threshold and the random mask are those of the band.
 */
export const MAX_WHOLE_PATCH_SOURCE = 1 << 18;
/** The side of the patch the TIES and DARE views show. */
export const PATCH = 16;

export class TensorReadError extends Error {
  override readonly name: string = 'TensorReadError';
}

export interface TensorRegion {
  readonly model: string;
  readonly name: string;
  /** The tensor's full shape. */
  readonly shape: readonly number[];
  /** Rows [rowStart, rowStart + rows) of the tensor viewed as rows x cols. */
  readonly rowStart: number;
  readonly rows: number;
  readonly cols: number;
  readonly whole: boolean;
  readonly values: Float32Array;
}

function tensorOf(model: LoadedModel, name: string) {
  const t = model.tensors.get(name);
  if (!t)
    throw new TensorReadError(`model ${model.id} has no tensor ${name}: pick a tensor both models have`);
  return t;
}

/** Rows [rowStart, rowStart + rowCount) of a tensor (all rows when omitted). */
export async function readTensorRows(
  model: LoadedModel,
  name: string,
  rows?: { readonly start: number; readonly count: number },
  signal?: AbortSignal,
): Promise<TensorRegion> {
  const t = tensorOf(model, name);
  const { rows: total, cols } = rowsOf(t.shape);
  const start = Math.max(0, Math.min(rows?.start ?? 0, total));
  const count = Math.max(0, Math.min(rows?.count ?? total, total - start));
  const rowBytes = cols * DTYPE_SIZE[t.dtype];
  const src = await model.source.open(t.file, signal);
  const bytes = await src.read(t.begin + start * rowBytes, count * rowBytes, signal);
  return {
    model: model.id,
    name,
    shape: t.shape,
    rowStart: start,
    rows: count,
    cols,
    whole: start === 0 && count === total,
    values: decodeToF32(bytes, t.dtype),
  };
}

/** The whole tensor, refused with an actionable message past MAX_WHOLE_ELEMENTS. */
export async function readWholeTensor(
  model: LoadedModel,
  name: string,
  signal?: AbortSignal,
): Promise<TensorRegion> {
  const t = tensorOf(model, name);
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (numel > MAX_WHOLE_ELEMENTS) {
    throw new TensorReadError(
      `${name} has ${numel.toLocaleString('en')} elements; this view reads a tensor whole and stops at ` +
        `${MAX_WHOLE_ELEMENTS.toLocaleString('en')}: pick a smaller one (a layer's k_proj, v_proj or a norm)`,
    );
  }
  return readTensorRows(model, name, undefined, signal);
}

/** Which rows the TIES / DARE views read for a patch starting at `patchRow`: all, or a band of PATCH rows. */
export function patchSourceRows(
  shape: readonly number[],
  patchRow: number,
): { readonly start: number; readonly count: number } {
  const { rows, cols } = rowsOf(shape);
  if (rows * cols <= MAX_WHOLE_PATCH_SOURCE) return { start: 0, count: rows };
  const start = Math.max(0, Math.min(patchRow, rows - PATCH));
  return { start, count: Math.min(PATCH, rows) };
}

/**
 * The PATCH x PATCH block (or less at the edges) at tensor row `row0`, column `col0`, of any
 * per-element array over a region (values, masks, signs).
 */
export function cropPatch(
  region: Pick<TensorRegion, 'rowStart' | 'rows' | 'cols'>,
  values: ArrayLike<number>,
  row0: number,
  col0: number,
): { readonly values: Float32Array; readonly rows: number; readonly cols: number } {
  const r0 = Math.max(0, Math.min(row0 - region.rowStart, region.rows - 1));
  const c0 = Math.max(0, Math.min(col0, region.cols - 1));
  const rows = Math.min(PATCH, region.rows - r0);
  const cols = Math.min(PATCH, region.cols - c0);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = values[(r0 + r) * region.cols + c0 + c]!;
  }
  return { values: out, rows, cols };
}
