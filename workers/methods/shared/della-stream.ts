/**
 * DELLA MagPrune over a tensor's chunks of whole rows, for the streaming sparsifier
 * (./sparsify-stream.ts): per row, rank |delta| and keep each element with the probability of
 * its rank (./della-rows.ts, workers/simd/della.ts). In a statistics pass (rescaling) the kept
 * bits of the whole tensor are stored and the L1 sums taken in rank order; the output pass then
 * masks from the stored bits, or ranks and draws again when there was no statistics pass.
 */
import type { Scratch } from '../../simd/arena.ts';
import { dellaRow, hash24, maskBits, RowRanker } from '../../simd/della.ts';
import type { QuadSum } from '../../simd/sums.ts';
import { dellaThresholds } from './della-rows.ts';

export interface DellaSpec {
  readonly density: number;
  readonly epsilon: number;
  /** The tensor's RNG key (the draws depend only on the element's index). */
  readonly key: number;
  /** Row length: the tensor's last dimension. */
  readonly cols: number;
}

export class DellaRows {
  private state:
    { ranker: RowRanker; thresholds: Int32Array; draws: Uint32Array; bits: Uint32Array } | undefined;
  /** The kept bits of the whole tensor, from a statistics pass. */
  private mask: Uint32Array | undefined;

  constructor(
    private readonly spec: DellaSpec,
    private readonly n: number,
    private readonly scratch: Scratch,
  ) {}

  /**
   * Prunes the whole rows of a chunk starting at element `start`, in place; with `sums` (a
   * statistics pass) it records the kept bits and adds the L1 sums before and after instead.
   */
  rows(delta: Float32Array, start: number, sums?: { before: QuadSum; after: QuadSum }): void {
    const { cols } = this.spec;
    const bit0 = start & 31; // the chunk's bits, as words aligned with the tensor's
    const words = Math.ceil((bit0 + delta.length) / 32);
    this.state ??= {
      ranker: new RowRanker(cols, this.scratch),
      thresholds: this.inScratch(dellaThresholds(cols, this.spec.density, this.spec.epsilon)),
      draws: this.scratch.u32(delta.length),
      bits: this.scratch.u32(words + 1),
    };
    const { ranker, thresholds } = this.state;
    const bits = this.state.bits.subarray(0, words);
    if (!sums && this.mask) {
      bits.set(this.mask.subarray(start >>> 5, (start >>> 5) + words));
      maskBits(delta, bits, bit0);
      return;
    }
    const draws = this.state.draws.subarray(0, delta.length);
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

  private inScratch(a: Int32Array): Int32Array {
    const copy = this.scratch.i32(a.length);
    copy.set(a);
    return copy;
  }
}
