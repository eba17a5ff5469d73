/**
 * DELLA MagPrune for the streaming sparsifier (./sparsify-stream.ts): rank |delta| along the
 * tensor's dim 1 and keep each element with the probability of its rank (./della-rows.ts,
 * workers/simd/della.ts).
 *
 * Up to 2-D the ranked vectors are the rows, so a chunk of whole rows is worked in place. In a
 * statistics pass (rescaling) the kept bits of the whole tensor are stored and the L1 sums
 * taken in rank order; the output pass then masks from the stored bits, or ranks and draws
 * again when there was no statistics pass.
 *
 * From 3-D on, the vectors are strided (x[e, :, i] of [E, O, I], `stride` = I apart), so they
 * are worked in column blocks (DellaColumns): w neighbouring vectors transposed into contiguous
 * rows with the draws of their elements' flat indices, ranked as rows, and the kept bits set
 * at the elements' flat positions. Such a tensor always has a statistics pass (the bits:
 * n / 8 bytes) and the output pass masks plain chunks from them, so no chunk ever has to hold
 * a whole [O, I] slice: the family kernel feeds `columns` panels of O x w elements
 * (./della-panels.ts); a chunk of whole slices (the whole-array sparsify) is cut in blocks
 * here. The sums go in the order (slice, vector, rank), partial sum by position along dim 1
 * mod 4, whatever the panel width.
 */
import type { Scratch } from '../../simd/arena.ts';
import { hashAt } from '../../rng.ts';
import { dellaRow, hash24, maskBits, RowRanker } from '../../simd/della.ts';
import type { QuadSum } from '../../simd/sums.ts';
import { dellaThresholds } from './della-rows.ts';

export interface DellaSpec {
  readonly density: number;
  readonly epsilon: number;
  /** The tensor's RNG key (the draws depend only on the element's index). */
  readonly key: number;
  /** Length of the ranked dimension (dim 1 of the tensor viewed as at least 2-D). */
  readonly cols: number;
  /** Elements between neighbours along it: 1 up to 2-D (rows), else a product of dims. */
  readonly stride: number;
}

export interface DellaSums {
  readonly before: QuadSum;
  readonly after: QuadSum;
}

/** Strided vectors transposed per block when a chunk of whole [O, I] slices comes in. */
const BLOCK = 32;

/**
 * The work buffers for ranking strided vectors in blocks of up to `width` of them: the block's
 * vectors transposed into rows of `cols`, their draws alike, one vector's kept bits, the
 * threshold table and the ranker: everything the WebAssembly kernels touch, so allocate it
 * first. The sparsifiers of a tensor's models run one after another, so they share one.
 */
export class DellaColumns {
  private readonly ranker: RowRanker;
  private readonly rows: Float32Array;
  private readonly draws: Uint32Array;
  private readonly bits: Uint32Array;
  private readonly thresholds: Int32Array;

  constructor(
    readonly cols: number,
    readonly width: number,
    scratch: Scratch,
  ) {
    this.ranker = new RowRanker(cols, scratch);
    this.rows = scratch.f32(cols * width);
    this.draws = scratch.u32(cols * width);
    this.bits = scratch.u32(Math.ceil(cols / 32));
    this.thresholds = scratch.i32(cols);
  }

  /**
   * Ranks `width` vectors: element o of vector j is data[at + o * step + j], at flat index
   * flat0 + o * stride + j. Sets the kept elements' bits in `mask` (the whole tensor's) and
   * adds the L1 sums, in rank order, partial sum by o mod 4; `data` is not changed.
   */
  prune(
    data: Float32Array,
    at: number,
    step: number,
    width: number,
    flat0: number,
    stride: number,
    model: { readonly key: number; readonly thresholds: Int32Array; readonly mask: Uint32Array },
    sums: DellaSums,
  ): void {
    const { cols, rows, draws, bits, thresholds } = this;
    const { key, mask } = model;
    thresholds.set(model.thresholds);
    // Written row by row: writing `width` rows at once, `cols` apart (often a power of two),
    // made the cache lines collide and cost 3x as much. The draws are hashed here, in JS: as
    // fast as the WebAssembly kernel on short runs of flat indices plus a transposition.
    for (let j = 0; j < width; j++) {
      const dst = j * cols;
      for (let o = 0, src = at + j, i = flat0 + j; o < cols; o++, src += step, i += stride) {
        rows[dst + o] = data[src]!;
        draws[dst + o] = hashAt(key, i) >>> 8;
      }
    }
    for (let j = 0; j < width; j++) {
      const row = rows.subarray(j * cols, (j + 1) * cols);
      bits.fill(0);
      const stats = { ...sums, lane0: 0, bits, bit0: 0 };
      dellaRow(row, this.ranker.rank(row), draws.subarray(j * cols, (j + 1) * cols), thresholds, stats);
      for (let w = 0; w < bits.length; w++) {
        let word = bits[w]!;
        while (word !== 0) {
          const low = word & -word; // the lowest set bit
          const flat = flat0 + (32 * w + 31 - Math.clz32(low)) * stride + j;
          mask[flat >>> 5]! |= 1 << (flat & 31);
          word ^= low;
        }
      }
    }
  }
}

export class DellaRows {
  /** The keep thresholds by rank, and a copy in the scratch for whole rows. */
  private readonly table: Int32Array;
  private rowTable: Int32Array | undefined;
  /** A chunk's bits, as words aligned with the tensor's. */
  private chunkBits: Uint32Array | undefined;
  /** Whole-row chunks: the ranker and the chunk's draws. */
  private byRow: { ranker: RowRanker; draws: Uint32Array } | undefined;
  /** Column blocks of a chunk of whole slices (the family kernel brings its own). */
  private byColumn: DellaColumns | undefined;
  /** The kept bits of the whole tensor, from a statistics pass. */
  private mask: Uint32Array | undefined;

  constructor(
    private readonly spec: DellaSpec,
    private readonly n: number,
    private readonly scratch: Scratch,
  ) {
    this.table = dellaThresholds(spec.cols, spec.density, spec.epsilon);
  }

  /**
   * Prunes a chunk starting at element `start` in place, from the stored bits when a statistics
   * pass made them. With `sums` (a statistics pass) it records the kept bits and adds the L1
   * sums before and after instead; the chunk then holds whole rows (whole [O, I] slices when
   * the vectors are strided). Without bits, strided vectors cannot be pruned chunk by chunk.
   */
  rows(delta: Float32Array, start: number, sums?: DellaSums): void {
    const { cols, stride } = this.spec;
    const bit0 = start & 31; // the chunk's bits, as words aligned with the tensor's
    const words = Math.ceil((bit0 + delta.length) / 32);
    if (!sums && this.mask) {
      const bits = this.bitsFor(words);
      bits.set(this.mask.subarray(start >>> 5, (start >>> 5) + words));
      maskBits(delta, bits, bit0);
      return;
    }
    if (stride > 1) {
      if (!sums) throw new Error('della: strided vectors need the statistics pass first');
      const work = (this.byColumn ??= new DellaColumns(cols, Math.min(BLOCK, stride), this.scratch));
      const slice = cols * stride;
      for (let s = 0; s < delta.length; s += slice) {
        for (let b = 0; b < stride; b += work.width)
          this.columns(delta, s + b, stride, Math.min(work.width, stride - b), start + s + b, sums, work);
      }
      return;
    }
    const thresholds = (this.rowTable ??= this.inScratch(this.table));
    const { ranker, draws: allDraws } = (this.byRow ??= {
      ranker: new RowRanker(cols, this.scratch),
      draws: this.scratch.u32(delta.length), // the first chunk is the longest
    });
    const bits = this.bitsFor(words);
    const draws = allDraws.subarray(0, delta.length);
    hash24(draws, this.spec.key, start);
    if (sums) {
      this.mask ??= new Uint32Array(Math.ceil(this.n / 32));
      bits.fill(0);
    }
    for (let r = 0; r < delta.length; r += cols) {
      const row = delta.subarray(r, r + cols);
      const stats = sums ? { ...sums, lane0: start + r, bits, bit0: bit0 + r } : undefined;
      dellaRow(row, ranker.rank(row), draws.subarray(r, r + cols), thresholds, stats);
    }
    if (sums) for (let j = 0; j < words; j++) this.mask![(start >>> 5) + j]! |= bits[j]!;
  }

  /**
   * A statistics pass over `width` strided vectors (stride > 1), with `work`'s buffers: vector
   * j's element o is data[at + o * step + j], at flat index flat0 + o * stride + j.
   */
  columns(
    data: Float32Array,
    at: number,
    step: number,
    width: number,
    flat0: number,
    sums: DellaSums,
    work: DellaColumns,
  ): void {
    const mask = (this.mask ??= new Uint32Array(Math.ceil(this.n / 32)));
    const model = { key: this.spec.key, thresholds: this.table, mask };
    work.prune(data, at, step, width, flat0, this.spec.stride, model, sums);
  }

  private inScratch(a: Int32Array): Int32Array {
    const copy = this.scratch.i32(a.length);
    copy.set(a);
    return copy;
  }

  /** The first chunk sets the size (later chunks are no longer; one more word for any start). */
  private bitsFor(words: number): Uint32Array {
    return (this.chunkBits ??= this.scratch.u32(words + 1)).subarray(0, words);
  }
}
