/**
 * The magnitude sparsifiers by row (merge_studio.topk_scope: row): each row of the tensor (its
 * last dim) keeps its own floor(density * cols) largest |delta|, instead of the tensor's
 * floor(density * n) over all of it (./sparsify-stream.ts). Breadcrumbs' band is cut per row
 * the same way: floor(gamma * cols) outliers off the top, the smallest off the bottom.
 *
 * A row's cut needs only that row, so the family kernel feeds chunks of whole rows and each row
 * is cut where it lies: no statistics pass. The cut is found by radix select on the 31-bit
 * magnitude keys (|x| orders like `bits & 0x7fffffff`, as in the tensor scope): a histogram of
 * the top 11 bits over the row (shared by breadcrumbs' two cuts), then of two 10-bit digits
 * over the keys of the cut's bin, gathered into a candidate list. The result is the same key
 * and count of equal keys to keep (lowest indices first) that the tensor scope's two passes
 * find for a whole tensor, and the mask is the same workers/simd kernel. The loops are plain
 * JS (rows are short next to a tensor): TIES by row merges about 48 M elements/s against the
 * tensor scope's 105, three BF16 models on the 2-core machine (BENCH_TOPK_SCOPE=row
 * npm run bench:engine -- ties). The two JS passes over each row (histogram, candidates) are
 * most of the difference.
 */
import { maskCuts, NO_KEY, type CutState } from '../../simd/select.ts';

/** How many of a row's largest magnitudes the cuts select: keep the top `keep`, minus the top `drop`. */
export interface RowCounts {
  readonly keep: number;
  readonly drop: number;
}

/**
 * A row's counts, as the tensor scope's counts for a tensor of `cols` elements: TIES keeps
 * trunc(density * cols); breadcrumbs keeps the ranks between the trunc(gamma * cols) largest
 * and the smallest cols - trunc(density * cols) - top (the outliers give way when both do not
 * fit). Breadcrumbs' quirk of keeping nothing when no outlier is removed is mergekit's, on
 * whole tensors; rows have no mergekit behaviour to match, so a row without outliers keeps
 * its band.
 */
export function rowCounts(outliers: boolean, density: number, gamma: number, cols: number): RowCounts {
  if (!outliers) return { keep: Math.trunc(density * cols), drop: 0 };
  let top = Math.trunc(gamma * cols);
  let bot = cols - Math.trunc(density * cols) - top;
  if (bot < 0) {
    top += bot;
    bot = 0;
  }
  return { keep: cols - bot, drop: top };
}

/** A cut: the key, and how many elements equal to it are selected (lowest indices first). */
interface RowCut {
  readonly key: number;
  readonly take: number;
}

/** Radix select over one row at a time; its buffers are sized for a row. */
export class RowSelect {
  private readonly cand: Uint32Array;
  /** The row's histogram of the top 11 bits of its keys (bits 30..20), shared by its cuts. */
  private readonly top = new Uint32Array(2048);
  /** The candidates' histogram of a 10-bit digit (bits 19..10, then 9..0). */
  private readonly hist = new Uint32Array(1024);
  private bits: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private at = 0;

  constructor(readonly cols: number) {
    this.cand = new Uint32Array(cols);
  }

  /** Zeroes, in place, what the row cuts of `counts` do not keep in each row of `x` (whole rows). */
  mask(x: Float32Array, counts: RowCounts): void {
    const { cols } = this;
    if (x.length % cols !== 0)
      throw new Error(`row top-k: a chunk of ${x.length} is not whole rows of ${cols}`);
    this.bits = new Int32Array(x.buffer, x.byteOffset, x.length);
    for (let at = 0; at < x.length; at += cols) {
      this.load(at);
      const keep = this.cut(counts.keep);
      const drop = counts.drop > 0 ? this.cut(counts.drop) : { key: NO_KEY, take: 0 };
      const state: CutState = {
        keepKey: keep.key,
        keepLeft: keep.take,
        dropKey: drop.key,
        dropLeft: drop.take,
      };
      maskCuts(x.subarray(at, at + cols), state);
    }
    this.bits = new Int32Array(0);
  }

  /** Takes the row at `at` of the chunk: its top-digit histogram. */
  private load(at: number): void {
    const { bits, top, cols } = this;
    this.at = at;
    top.fill(0);
    for (let i = at; i < at + cols; i++) top[(bits[i]! & 0x7fffffff) >>> 20]!++;
  }

  /** The cut that selects the row's `count` largest magnitudes. */
  private cut(count: number): RowCut {
    const { bits, at, cols, top, cand, hist } = this;
    if (count <= 0) return { key: NO_KEY, take: 0 };
    if (count >= cols) return { key: 0, take: cols };
    let rem = count;
    let b = 2047;
    for (; b > 0 && top[b]! < rem; b--) rem -= top[b]!;
    let prefix = b << 20;
    // The keys in the cut's top bin: a small part of the row, unless it is mostly ties.
    let m = 0;
    for (let i = at; i < at + cols; i++) {
      const key = bits[i]! & 0x7fffffff;
      if (key >>> 20 === b) cand[m++] = key;
    }
    for (let shift = 10; shift >= 0; shift -= 10) {
      hist.fill(0);
      for (let j = 0; j < m; j++) hist[(cand[j]! >>> shift) & 1023]!++;
      b = 1023;
      for (; b > 0 && hist[b]! < rem; b--) rem -= hist[b]!;
      prefix |= b << shift;
      if (shift === 0) break;
      let kept = 0;
      for (let j = 0; j < m; j++) if (((cand[j]! >>> shift) & 1023) === b) cand[kept++] = cand[j]!;
      m = kept;
    }
    return { key: prefix, take: rem };
  }
}

/**
 * The row length the row scope cuts by, for a tensor of `shape` (n elements): its last dim,
 * or undefined where a row is the whole tensor (0-D, 1-D, one row), which the tensor scope
 * cuts the same.
 */
export function topkRowLength(shape: readonly number[], n: number): number | undefined {
  const cols = shape.length >= 2 ? shape[shape.length - 1]! : n;
  return cols > 0 && cols < n ? cols : undefined;
}
