/**
 * The whole-tensor magnitude cuts of TIES and breadcrumbs (mergekit's `magnitude` and
 * `magnitude_outliers`), planned from the counts alone before any statistics pass: how many of
 * the largest |delta| each cut selects. ./sparsify-stream.ts then finds where each cut lies.
 */
import { NO_KEY } from '../../simd/select.ts';
import type { SparsifySpec } from './sparsify-stream.ts';

export interface Cut {
  /** How many of the largest magnitudes this cut selects. */
  readonly count: number;
  bin: number;
  remaining: number;
  lo?: Uint32Array | undefined;
  key: number;
  takeEqual: number;
  /** Equal keys still to select in the current pass. */
  left: number;
  /** The statistics pass that found the key (-1 before; trivial cuts need none). */
  foundAt: number;
}

export const NONE = NO_KEY; // above every magnitude key: selects nothing

/** Where a cut lies, as a coordinator hands it to the parts of a tensor. */
export interface CutPlace {
  readonly bin: number;
  readonly remaining: number;
  readonly key: number;
  readonly takeEqual: number;
  readonly foundAt: number;
}

export interface PlannedCuts {
  readonly cuts: Cut[];
  /** The method keeps nothing of the delta (mergekit's breadcrumbs quirk). */
  readonly zeroAll: boolean;
  readonly warning?: string;
}

/** The cuts of a tensor of `n` elements: one for magnitude, one or two for magnitude_outliers. */
export function planTensorCuts(spec: SparsifySpec, n: number): PlannedCuts {
  const cut = (count: number): Cut => {
    const all = count >= n;
    return {
      count,
      bin: 0,
      remaining: count,
      key: count <= 0 ? NONE : 0,
      takeEqual: all ? n : 0,
      left: 0,
      foundAt: count <= 0 || all ? 0 : -1,
    };
  };
  if (spec.method === 'magnitude') {
    const k = Math.trunc(spec.density * n);
    // mergekit asserts k > 0 ("not gonna zero out the whole tensor"); we zero and say so.
    return {
      cuts: [cut(k)],
      zeroAll: false,
      ...(k === 0 && { warning: `density ${spec.density} keeps no element of a ${n}-element tensor` }),
    };
  }
  let top = Math.trunc(spec.gamma * n);
  let bot = n - Math.trunc(spec.density * n) - top;
  if (bot < 0) {
    top += bot;
    bot = 0;
  }
  if (top === 0 && spec.breadcrumbsQuirk) {
    return {
      cuts: [],
      zeroAll: true,
      warning: `breadcrumbs removes no outliers here (gamma * ${n} < 1), so mergekit keeps nothing of this delta`,
    };
  }
  // Ascending ranks [bot, n - top) == the top (n - bot) minus the top `top`.
  return { cuts: top > 0 ? [cut(n - bot), cut(top)] : [cut(n - bot)], zeroAll: false };
}
