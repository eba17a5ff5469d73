/**
 * What the analysis reads. A small model is read whole; a big one is sampled, so that a look
 * at a 70B merge costs megabytes, not the 140 GB download:
 *
 * - layers: all of them when they fit the byte budget, else `maxLayers` evenly spread, always
 *   with the first and the last (where fine-tunes and frankenmerges differ most);
 * - rows: when even those layers are over budget, the same fraction of rows of every tensor,
 *   read as two blocks of consecutive rows in the two halves of the tensor (a block of rows is one
 *   contiguous byte range, one HTTP range request). Every model reads the same rows, so the
 *   numbers compare the same weights.
 */

/** Bytes of tensor data read by default, all models together. */
export const DEFAULT_ANALYSIS_BYTES = 256e6;
/** Layers analysed at most by default: enough rows for a heatmap, few requests. */
export const DEFAULT_MAX_LAYERS = 8;
/**
 * Row blocks per sampled tensor: two bands see different heads and channels; each block is one
 * request per tensor and model, and the Hub counts requests (4 blocks measured 552 requests
 * for 8 layers of three models, where 2 halve that).
 */
export const ROW_BLOCKS = 2;

/** `count` layer indices of `numLayers`, evenly spread, first and last included. */
export function spreadLayers(numLayers: number, count: number): number[] {
  if (numLayers <= 0 || count <= 0) return [];
  if (count >= numLayers) return Array.from({ length: numLayers }, (_, i) => i);
  if (count === 1) return [0];
  const picked = new Set<number>();
  for (let i = 0; i < count; i++) picked.add(Math.round((i * (numLayers - 1)) / (count - 1)));
  return [...picked].sort((a, b) => a - b);
}

export interface SamplePlan {
  readonly layers: readonly number[];
  /** Share of each tensor's rows read (1: whole tensors). */
  readonly rowFraction: number;
}

/**
 * Which layers and what share of rows to read, given the bytes of one layer of every model
 * (`layerBytes[i]` for layer i) and a budget.
 */
export function planSample(
  layerBytes: readonly number[],
  options: { readonly maxBytes?: number; readonly maxLayers?: number } = {},
): SamplePlan {
  const maxBytes = options.maxBytes ?? DEFAULT_ANALYSIS_BYTES;
  const all = layerBytes.reduce((s, b) => s + b, 0);
  if (all <= maxBytes) return { layers: spreadLayers(layerBytes.length, layerBytes.length), rowFraction: 1 };
  const layers = spreadLayers(layerBytes.length, options.maxLayers ?? DEFAULT_MAX_LAYERS);
  const picked = layers.reduce((s, l) => s + layerBytes[l]!, 0);
  return { layers, rowFraction: picked <= maxBytes ? 1 : maxBytes / picked };
}

export interface RowBlock {
  /** First row of the block. */
  readonly row: number;
  readonly rows: number;
}

/**
 * Blocks of consecutive rows covering about `fraction` of `rows`: one block (everything) at
 * fraction 1, else up to ROW_BLOCKS blocks of equal size centred in equal bands of the tensor.
 */
export function rowBlocks(rows: number, fraction: number, blocks = ROW_BLOCKS): RowBlock[] {
  if (rows <= 0) return [];
  const want = Math.min(rows, Math.max(1, Math.round(rows * fraction)));
  if (want >= rows) return [{ row: 0, rows }];
  const count = Math.min(blocks, want);
  const size = Math.ceil(want / count);
  const out: RowBlock[] = [];
  for (let j = 0; j < count; j++) {
    const centre = ((j + 0.5) * rows) / count;
    const row = Math.min(rows - size, Math.max(0, Math.round(centre - size / 2)));
    out.push({ row, rows: size });
  }
  return out;
}
