/**
 * DELLA's per-row work (workers/methods/shared/della-rows.ts has the method), as JS references
 * and WebAssembly kernels (wasm/della-kernels.ts) with the same results:
 *
 * - ranking a row by |value| ascending, ties by column: a stable LSD radix sort of the 31-bit
 *   magnitude keys (digits of 11, 10, 10 bits) in linear time, where sorting (key, column)
 *   pairs by comparison costs n log n. Both paths produce words [column, key] (two u32 each),
 *   so `result[2 * r]` is the column of rank r;
 * - the 24-bit random draws of the elements (hashAt >>> 8, what uniformAt scales);
 * - the keep decision per rank against an integer threshold table, with the rescale sums
 *   (float64, in rank order, into sum (index mod 4) as workers/simd/sums.ts) and kept bits;
 * - masking a chunk from stored kept bits.
 */
import { hashAt } from '../rng.ts';
import { PARAMS, type Scratch } from './arena.ts';
import { wasmFor, whole } from './dispatch.ts';
import type { QuadSum } from './sums.ts';
import { COUNTS_BYTES } from './wasm/della-kernels.ts';

const DIGITS = [
  [0, 0x7ff],
  [11, 0x3ff],
  [21, 0x3ff],
] as const;

/** Ranks rows of one length; its buffers come from a Scratch (the arena when it has room). */
export class RowRanker {
  private readonly a: Uint32Array;
  private readonly b: Uint32Array;
  private readonly counts: Uint32Array;

  constructor(
    readonly cols: number,
    scratch: Scratch,
  ) {
    this.a = scratch.u32(2 * cols);
    this.b = scratch.u32(2 * cols);
    this.counts = scratch.u32((3 * COUNTS_BYTES) / 4);
  }

  /** Words [column, key] of the row's elements by |value| ascending, ties by column. */
  rank(row: Float32Array): Uint32Array {
    const w = wasmFor(row, this.a, this.b, this.counts);
    if (!w || this.cols === 0) return rankRowJs(row, this.a, this.b, this.counts);
    const ptr = w.k.rankRow(
      row.byteOffset,
      this.cols,
      this.a.byteOffset,
      this.b.byteOffset,
      this.counts.byteOffset,
    );
    return ptr === this.a.byteOffset ? this.a : this.b;
  }
}

/** The JS reference of RowRanker.rank: a, b hold 2 x row.length u32, counts 3 x 2048. */
export function rankRowJs(
  row: Float32Array,
  a: Uint32Array,
  b: Uint32Array,
  counts: Uint32Array,
): Uint32Array {
  const n = row.length;
  const bits = new Uint32Array(row.buffer, row.byteOffset, n);
  counts.fill(0);
  for (let c = 0; c < n; c++) {
    const key = bits[c]! & 0x7fffffff;
    a[2 * c] = c;
    a[2 * c + 1] = key;
    counts[key & 0x7ff]!++;
    counts[2048 + ((key >>> 11) & 0x3ff)]!++;
    counts[4096 + ((key >>> 21) & 0x3ff)]!++;
  }
  let src = a;
  let dst = b;
  for (const [d, [shift, mask]] of DIGITS.entries()) {
    const base = 2048 * d;
    if (n === 0 || counts[base + ((src[1]! >>> shift) & mask)] === n) continue; // one digit: in order
    let sum = 0;
    for (let j = base; j <= base + mask; j++) {
      const c = counts[j]!;
      counts[j] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const key = src[2 * i + 1]!;
      const at = counts[base + ((key >>> shift) & mask)]!++;
      dst[2 * at] = src[2 * i]!;
      dst[2 * at + 1] = key;
    }
    [src, dst] = [dst, src];
  }
  return src;
}

/** out[i] = hashAt(key, start + i) >>> 8: the 24-bit draw behind uniformAt. */
export function hash24Js(out: Uint32Array, key: number, start: number): void {
  for (let i = 0; i < out.length; i++) out[i] = hashAt(key, start + i) >>> 8;
}

export function hash24(out: Uint32Array, key: number, start: number): void {
  const a = wasmFor(out);
  const m = a ? whole(out.length, 4) : 0;
  if (m > 0) a!.k.hash24(out.byteOffset, m / 4, key | 0, start | 0);
  if (m < out.length) hash24Js(out.subarray(m), key, start + m);
}

/** What a statistics pass gathers from a row: L1 sums by lane, and the kept columns' bits. */
export interface RowStats {
  readonly before: QuadSum;
  readonly after: QuadSum;
  readonly lane0: number;
  readonly bits: Uint32Array;
  readonly bit0: number;
}

/**
 * One ranked row's keep decisions (JS reference): rank r keeps column c = words[2r] iff
 * draws[c] < thresholds[r]. With `sums`, before/after[(lane0 + c) & 3] += |row[c]| (after only
 * when kept) and kept columns set bit bit0 + c of `bits`; without, dropped elements become 0.
 */
export function dellaRowJs(
  row: Float32Array,
  words: Uint32Array,
  draws: Uint32Array,
  thresholds: Int32Array,
  stats: RowStats | undefined,
): void {
  for (let rank = 0; rank < row.length; rank++) {
    const c = words[2 * rank]!;
    const keep = draws[c]! < thresholds[rank]!;
    if (stats) {
      const a = Math.abs(row[c]!);
      const lane = (stats.lane0 + c) & 3;
      stats.before[lane] = stats.before[lane]! + a;
      if (keep) {
        stats.after[lane] = stats.after[lane]! + a;
        const b = stats.bit0 + c;
        stats.bits[b >>> 5]! |= 1 << (b & 31);
      }
    } else if (!keep) row[c] = 0;
  }
}

/** dellaRowJs with the WebAssembly kernel when every array is in the arena. */
export function dellaRow(
  row: Float32Array,
  words: Uint32Array,
  draws: Uint32Array,
  thresholds: Int32Array,
  stats: RowStats | undefined,
): void {
  const a = wasmFor(row, words, draws, thresholds, stats?.bits);
  if (!a || row.length === 0) return dellaRowJs(row, words, draws, thresholds, stats);
  const args = [
    row.byteOffset,
    words.byteOffset,
    draws.byteOffset,
    thresholds.byteOffset,
    row.length,
  ] as const;
  if (!stats) return a.k.dellaApply(...args, 0, 0, 0, 0);
  const acc = new Float64Array(a.buffer, PARAMS, 8);
  acc.set(stats.before);
  acc.set(stats.after, 4);
  a.k.dellaStats(...args, stats.lane0 & 3, PARAMS, stats.bits.byteOffset, stats.bit0);
  stats.before.splice(0, 4, ...acc.subarray(0, 4));
  stats.after.splice(0, 4, ...acc.subarray(4, 8));
}

/** x[i] = 0 unless bit bit0 + i of `bits` is set (JS reference). */
export function maskBitsJs(x: Float32Array, bits: Uint32Array, bit0: number): void {
  for (let i = 0; i < x.length; i++) {
    const b = bit0 + i;
    if (!((bits[b >>> 5]! >>> (b & 31)) & 1)) x[i] = 0;
  }
}

export function maskBits(x: Float32Array, bits: Uint32Array, bit0: number): void {
  const a = wasmFor(x, bits);
  // the JS reference up to the next whole word of bits, the kernel a word (32 elements) at a time
  const head = Math.min(x.length, (32 - (bit0 & 31)) & 31);
  const words = a ? Math.floor((x.length - head) / 32) : 0;
  if (words === 0) return maskBitsJs(x, bits, bit0);
  if (head > 0) maskBitsJs(x.subarray(0, head), bits, bit0);
  const first = (bit0 + head) >>> 5;
  a!.k.maskBits(x.byteOffset + 4 * head, words, bits.byteOffset + 4 * first);
  const done = head + 32 * words;
  if (done < x.length) maskBitsJs(x.subarray(done), bits, bit0 + done);
}
