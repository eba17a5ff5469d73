/**
 * The top singular triplets of one module's task vector, by the cheaper of two methods:
 *
 *   exact       one-sided Jacobi (./jacobi-svd.ts) on the whole matrix in float64, when its
 *               short side is small or the rank asked for is most of it: every triplet to
 *               float64 precision (better than torch's float32 SVD, which mergekit uses).
 *   randomized  subspace iteration (./randomized-svd.ts) for the top r of a big matrix, to
 *               float32 precision where the spectrum has a gap after s_r.
 */
import { deltaProducts } from './delta-products.ts';
import { jacobiSvd } from './jacobi-svd.ts';
import { fromRowMajor, leadingColumns } from './matrix.ts';
import { randomizedSvd, type TruncatedSvd } from './randomized-svd.ts';

export type SvdMethod = 'exact' | 'randomized';

export interface SvdOptions {
  /** 'auto' (default) picks by size; tests force one. */
  readonly method?: SvdMethod | 'auto';
  readonly oversampling?: number;
  readonly maxIterations?: number;
  readonly tolerance?: number;
  readonly seed?: number;
  /** The matmul for the randomized products: WebAssembly SIMD where available ('auto'), or JS. */
  readonly backend?: 'auto' | 'js';
}

export interface TruncatedSvdResult extends TruncatedSvd {
  readonly method: SvdMethod;
  /** Randomized: rounds of subspace iteration; exact: 0. */
  readonly iterations: number;
  /** Randomized: max_i ||D v_i - s_i u_i|| / s_1 of the result; exact: 0 (not measured). */
  readonly residual: number;
}

/**
 * The defaults, measured on 4096 x 4096 task vectors at rank 128 (docs/extract-lora.md).
 * Oversampling: 64 more directions than asked for. Each round shrinks the error by about
 * (s_{k+1} / s_r)^2, so more of them pay off where the spectrum has no gap (as full
 * fine-tunes' deltas): on a power law s_i = 1 / sqrt(1 + i) the result after 24 rounds is the
 * exact truncation to 7e-6 with 64 extra, 5e-4 with 32; where there is a gap they change
 * little. Tolerance: 1e-6 x s_1, just above float32's floor for the products with D (about
 * 8e-7 at 4096 x 4096). Rounds: at most 24, about 1.2 s each at 4096 x 4096 on one core.
 */
export const SVD_DEFAULTS = {
  oversampling: 64,
  maxIterations: 24,
  tolerance: 1e-6,
  seed: 0x5eed,
} as const;

/** Short sides up to this are decomposed exactly (Jacobi on 512 columns takes about a second). */
const EXACT_MAX_SIDE = 256;

export function pickMethod(rows: number, cols: number, rank: number, oversampling: number): SvdMethod {
  const side = Math.min(rows, cols);
  return side <= EXACT_MAX_SIDE || 2 * (rank + oversampling) >= side ? 'exact' : 'randomized';
}

/**
 * The top min(rank, rows, cols) triplets of `d` (rows x cols, row-major float32), singular
 * values largest first, U and V with orthonormal columns.
 */
export function truncatedSvd(
  d: Float32Array,
  rows: number,
  cols: number,
  rank: number,
  options: SvdOptions = {},
): TruncatedSvdResult {
  const r = Math.min(rank, rows, cols);
  if (!Number.isInteger(r) || r < 1) throw new RangeError(`rank must be a whole number of at least 1`);
  const oversampling = options.oversampling ?? SVD_DEFAULTS.oversampling;
  const auto = options.method ?? 'auto';
  const method = auto === 'auto' ? pickMethod(rows, cols, r, oversampling) : auto;
  if (method === 'exact') {
    const full = jacobiSvd(fromRowMajor(d, rows, cols));
    return {
      method,
      u: leadingColumns(full.u, r),
      s: full.s.slice(0, r),
      v: leadingColumns(full.v, r),
      iterations: 0,
      residual: 0,
    };
  }
  const k = Math.min(r + oversampling, rows, cols);
  const products = deltaProducts(d, rows, cols, k, options.backend ?? 'auto');
  const result = randomizedSvd(products, {
    rank: r,
    oversampling,
    maxIterations: options.maxIterations ?? SVD_DEFAULTS.maxIterations,
    tolerance: options.tolerance ?? SVD_DEFAULTS.tolerance,
    seed: options.seed ?? SVD_DEFAULTS.seed,
  });
  return { method, ...result };
}
