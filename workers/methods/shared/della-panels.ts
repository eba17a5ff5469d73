/**
 * DELLA's statistics pass over a tensor of 3 or more dims, for the family kernel
 * (./family-stream.ts). mergekit ranks along dim 1, so for [E, O, I] the ranked vectors are
 * x[e, :, i], I elements apart. The pass reads panels of `width` neighbouring vectors, each
 * of its O rows a contiguous piece of `width` elements, so no buffer ever holds a whole [O, I]
 * slice (a fused MoE tensor's can be a hundred million elements); the sparsifiers rank the
 * panel's vectors (./della-stream.ts DellaColumns) and store the kept bits of the tensor,
 * which the output pass then applies to plain chunks.
 *
 * Memory: the shared transposed copy with its draws (8 bytes an element) and the panels of the
 * base and of each model (4 bytes), of O x width elements each: with the budget below, about
 * (models + 3) x 4 MiB, whatever the tensor, plus the kept bits (n / 8 bytes).
 */
import type { Scratch } from '../../simd/arena.ts';
import { DellaColumns } from './della-stream.ts';
import type { StreamSparsifier } from './sparsify-stream.ts';

/**
 * Elements of the transposed copy: with its draws 8 MiB, half the SIMD arena's first size, so
 * the ranking stays in WebAssembly (it is allocated before the chunk buffers).
 */
const WORK_ELEMENTS = 1 << 20;
/**
 * Fewest vectors in a panel, whatever the budget: a panel's rows are read in pieces of this
 * many elements, and shorter reads cost more in calls than the ranking does.
 */
const MIN_WIDTH = 8;

/** A panel's buffers: the base's and the task vectors', element (o, j) at o * width + j. */
export interface PanelBuffers {
  readonly base: Float32Array;
  readonly deltas: readonly Float32Array[];
}

/** Reads elements [start, start + len) of the base and of the `wanted` task vectors to `at`. */
export type PanelLoad = (
  into: PanelBuffers,
  start: number,
  len: number,
  wanted: readonly boolean[],
  at: number,
) => void;

export class DellaPanels {
  /** Vectors per panel. */
  readonly width: number;
  private readonly work: DellaColumns;

  /** Allocate it before the chunk buffers: its work buffers are what the kernels touch. */
  constructor(
    private readonly axis: { readonly cols: number; readonly stride: number },
    private readonly n: number,
    private readonly scratch: Scratch,
    budget = WORK_ELEMENTS,
  ) {
    const { cols, stride } = axis;
    this.width = Math.min(stride, Math.max(MIN_WIDTH, Math.floor(budget / cols)));
    this.work = new DellaColumns(cols, this.width, scratch);
  }

  /** The statistics pass of the sparsifiers `observing`; yields after each panel. */
  *pass(
    sparsifiers: readonly StreamSparsifier[],
    observing: readonly boolean[],
    load: PanelLoad,
  ): Generator<undefined, void, undefined> {
    const { cols, stride } = this.axis;
    const size = cols * this.width;
    const into = {
      base: this.scratch.f32(size),
      deltas: observing.map((o) => this.scratch.f32(o ? size : 0)),
    };
    try {
      for (let slice = 0; slice < this.n; slice += cols * stride) {
        for (let b = 0; b < stride; b += this.width) {
          const w = Math.min(this.width, stride - b);
          if (w === stride) {
            load(into, slice, cols * w, observing, 0); // a whole slice is contiguous: one read
          } else {
            for (let o = 0; o < cols; o++) load(into, slice + b + o * stride, w, observing, o * w);
          }
          sparsifiers.forEach((s, k) => {
            if (observing[k]) s.observePanel(into.deltas[k]!.subarray(0, cols * w), slice + b, w, this.work);
          });
          yield;
        }
      }
    } finally {
      for (const a of [into.base, ...into.deltas]) this.scratch.free(a);
    }
  }
}
