/**
 * The sparsifiers of the task-vector family, in place on a delta (mergekit's `sparsify.py`).
 *
 * Each one zeroes part of the delta; with `rescale` the survivors are scaled so the L1 norm
 * of the whole tensor matches the dense delta's (mergekit's RescaleNorm.l1; not the DARE
 * paper's 1/p, which it equals only in expectation).
 */
import { uniformAt, type Rng } from '../../rng.ts';
import { keepMagnitudeBand, magnitudeThreshold } from './select.ts';

export type Sparsifier = 'magnitude' | 'random' | 'magnitude_outliers' | 'della_magprune';

export interface SparsifyOptions {
  readonly density: number;
  readonly rescale: boolean;
  readonly gamma?: number;
  readonly epsilon?: number;
  readonly rng?: Rng | undefined;
  readonly shape: readonly number[];
  /** mergekit zeroes the whole delta when breadcrumbs removes no outliers; false fixes that. */
  readonly breadcrumbsEmptySliceQuirk?: boolean;
}

/** Sparsifies `delta` in place. Returns a warning when mergekit would have crashed or zeroed. */
export function sparsify(delta: Float32Array, method: Sparsifier, o: SparsifyOptions): string | undefined {
  if (o.density >= 1) return undefined;
  const before = o.rescale ? l1(delta) : 0;
  let warning: string | undefined;
  switch (method) {
    case 'magnitude':
      warning = keepTopK(delta, o.density);
      break;
    case 'random':
      randomDrop(delta, o.density, o.rng!);
      break;
    case 'magnitude_outliers':
      warning = keepBand(delta, o.density, o.gamma ?? 0.01, o.breadcrumbsEmptySliceQuirk ?? true);
      break;
    case 'della_magprune':
      if (o.density <= 0) {
        delta.fill(0);
        return undefined;
      }
      dellaDrop(delta, o.density, o.epsilon ?? 0.15, o.shape, o.rng!);
      break;
  }
  if (o.rescale) {
    const after = l1(delta);
    // mergekit's eps: either norm under 1e-7 leaves the masked values as they are.
    if (before >= 1e-7 && after >= 1e-7) {
      const s = Math.fround(before / after);
      for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! * s;
    }
  }
  return warning;
}

function l1(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return s;
}

/** TIES: keep exactly k = int(density * numel) largest |delta| over the whole tensor. */
function keepTopK(delta: Float32Array, density: number): string | undefined {
  const k = Math.trunc(density * delta.length);
  keepMagnitudeBand(delta, magnitudeThreshold(delta, k));
  // mergekit asserts k > 0 ("not gonna zero out the whole tensor"); we zero and say so.
  return k === 0 ? `density ${density} keeps no element of a ${delta.length}-element tensor` : undefined;
}

/** DARE: keep each element with probability density. */
function randomDrop(delta: Float32Array, density: number, rng: Rng): void {
  const p = Math.fround(density);
  const key = rng.key;
  for (let i = 0; i < delta.length; i++) if (!(uniformAt(key, i) < p)) delta[i] = 0;
}

/**
 * Breadcrumbs: drop the top gamma fraction (outliers) and the smallest, keeping ascending
 * ranks [bot, N - top). With top = 0 mergekit's slice `[bot:-0]` is empty and nothing is
 * kept; `quirk` reproduces that (the default, for parity).
 */
function keepBand(delta: Float32Array, density: number, gamma: number, quirk: boolean): string | undefined {
  const n = delta.length;
  let top = Math.trunc(gamma * n);
  let bot = n - Math.trunc(density * n) - top;
  if (bot < 0) {
    top += bot;
    bot = 0;
  }
  if (top === 0 && quirk) {
    delta.fill(0);
    return `breadcrumbs removes no outliers here (gamma * ${n} < 1), so mergekit keeps nothing of this delta`;
  }
  // ranks [bot, n - top) ascending == the top (n - bot) minus the top `top` (same total order).
  keepMagnitudeBand(
    delta,
    magnitudeThreshold(delta, n - bot),
    top > 0 ? magnitudeThreshold(delta, top) : undefined,
  );
  return undefined;
}

/**
 * DELLA MagPrune: per row (last dimension; 1-D tensors are one row), rank |delta| ascending
 * and keep with probability density - eps + 2 eps (rank - 1) / (cols - 1).
 */
function dellaDrop(
  delta: Float32Array,
  density: number,
  epsilon: number,
  shape: readonly number[],
  rng: Rng,
): void {
  const cols = shape.length >= 2 ? shape[shape.length - 1]! : delta.length;
  const rows = cols === 0 ? 0 : delta.length / cols;
  const bits = new Uint32Array(delta.buffer, delta.byteOffset, delta.length);
  // Sort (magnitude bits, column) packed in one float64: 31 bits of key times 2^21 columns.
  if (cols > 2 ** 21) throw new RangeError(`della: rows of ${cols} elements are too long`);
  const keys = new Float64Array(cols);
  const keep = new Uint8Array(cols);
  const lo = Math.fround(density - epsilon);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) keys[c] = (bits[base + c]! & 0x7fffffff) * 2097152 + c;
    keys.sort();
    for (let rank = 0; rank < cols; rank++) {
      const c = keys[rank]! % 2097152;
      // (rank+1 - min) / (max - min) with ranks 1..cols; NaN for one column, as in mergekit.
      const norm = Math.fround(Math.min(1, Math.max(0, rank / (cols - 1))));
      const p = Math.fround(lo + Math.fround(norm * 2 * epsilon));
      keep[c] = rng.uniform(base + c) < p ? 1 : 0;
    }
    for (let c = 0; c < cols; c++) if (!keep[c]) delta[base + c] = 0;
  }
}
