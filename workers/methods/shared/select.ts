/**
 * Exact top-k selection without sorting: a three-pass radix select over 32-bit keys.
 *
 * TIES keeps exactly k = int(density * numel) entries by magnitude, breadcrumbs keeps a band
 * of ranks, SCE the top-k variances. Sorting a 45M-element tensor per model is what makes
 * mergekit's TIES slow; a histogram of the top 11 bits, then the next 11 within the chosen
 * bin, then the last 10, finds the k-th largest key in three linear passes.
 *
 * Non-negative float32 values compare like their bit patterns as unsigned integers, so
 * magnitudes become keys with `bits & 0x7fffffff`. Ties at the threshold are broken by index
 * (lowest first), a total order that makes every selection deterministic. mergekit breaks
 * them with torch's unstable sort; the golden set marks such elements as free to differ.
 */

export interface Threshold {
  /** Keys above this are selected. */
  readonly key: number;
  /** How many of the keys equal to `key` are selected, lowest indices first. */
  readonly takeEqual: number;
}

const PASSES: readonly (readonly [shift: number, bits: number])[] = [
  [21, 11],
  [10, 11],
  [0, 10],
];

/**
 * The threshold that selects exactly `k` of the keys, ordered by key descending then index
 * ascending. `keyAt(i)` returns the unsigned 32-bit key of element i.
 */
export function topKThreshold(n: number, k: number, keyAt: (i: number) => number): Threshold {
  if (k <= 0) return { key: 0xffffffff, takeEqual: 0 };
  if (k >= n) return { key: 0, takeEqual: n }; // everything: all keys >= 0
  let prefix = 0; // high bits fixed so far
  let prefixMask = 0;
  let remaining = k;
  for (const [shift, bits] of PASSES) {
    const hist = new Float64Array(1 << bits);
    const mask = (1 << bits) - 1;
    for (let i = 0; i < n; i++) {
      const key = keyAt(i);
      if ((key & prefixMask) >>> 0 === prefix) hist[(key >>> shift) & mask]!++;
    }
    let bin = mask;
    for (; bin > 0; bin--) {
      const c = hist[bin]!;
      if (c >= remaining) break;
      remaining -= c;
    }
    prefix = (prefix | (bin << shift)) >>> 0;
    prefixMask = (prefixMask | (mask << shift)) >>> 0;
  }
  return { key: prefix, takeEqual: remaining };
}

/** Marks the selected elements with 1 in `mask` (and leaves others 0). Returns the count. */
export function applyThreshold(
  n: number,
  th: Threshold,
  keyAt: (i: number) => number,
  mask: Uint8Array,
): number {
  let equalLeft = th.takeEqual;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const key = keyAt(i);
    if (key > th.key || (key === th.key && equalLeft > 0 && equalLeft-- > 0)) {
      mask[i] = 1;
      count++;
    }
  }
  return count;
}

/** Key function for |x| of a float32 array. */
export function magnitudeKeys(values: Float32Array): (i: number) => number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return (i) => (bits[i]! & 0x7fffffff) >>> 0;
}

/** 1 for the k entries of largest |x| (exactly k, ties by lowest index). */
export function topKMagnitudeMask(values: Float32Array, k: number): Uint8Array {
  const mask = new Uint8Array(values.length);
  const keyAt = magnitudeKeys(values);
  applyThreshold(values.length, topKThreshold(values.length, k, keyAt), keyAt, mask);
  return mask;
}

/**
 * The same threshold for magnitudes of a float32 array, specialised (this is TIES's and
 * breadcrumbs' hot loop): two histogram passes of 15 and 16 bits straight over the bits, no
 * per-element function calls.
 */
export function magnitudeThreshold(values: Float32Array, k: number): Threshold {
  const n = values.length;
  if (k <= 0) return { key: 0xffffffff, takeEqual: 0 };
  if (k >= n) return { key: 0, takeEqual: n };
  const bits = new Int32Array(values.buffer, values.byteOffset, n);
  const hi = new Uint32Array(32768);
  for (let i = 0; i < n; i++) hi[(bits[i]! & 0x7fffffff) >>> 16]!++;
  let remaining = k;
  let b1 = 32767;
  for (; b1 > 0 && hi[b1]! < remaining; b1--) remaining -= hi[b1]!;
  const lo = new Uint32Array(65536);
  for (let i = 0; i < n; i++) {
    const key = bits[i]! & 0x7fffffff;
    if (key >>> 16 === b1) lo[key & 0xffff]!++;
  }
  let b2 = 65535;
  for (; b2 > 0 && lo[b2]! < remaining; b2--) remaining -= lo[b2]!;
  return { key: (b1 << 16) | b2, takeEqual: remaining };
}

/**
 * Zeroes, in place, every element outside the band of ranks selected by `keep` (the top ones)
 * minus those selected by `drop` (a smaller top set, the outliers), by magnitude.
 */
export function keepMagnitudeBand(values: Float32Array, keep: Threshold, drop?: Threshold): void {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  let keepEq = keep.takeEqual;
  let dropEq = drop ? drop.takeEqual : 0;
  const dropKey = drop ? drop.key : 0x7fffffff + 1;
  for (let i = 0; i < values.length; i++) {
    const key = bits[i]! & 0x7fffffff;
    const kept = key > keep.key || (key === keep.key && keepEq-- > 0);
    const dropped = key > dropKey || (key === dropKey && dropEq-- > 0);
    if (!kept || dropped) values[i] = 0;
  }
}
