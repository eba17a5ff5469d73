/**
 * The sparsifiers of the task-vector family on one whole task vector, in place (for the
 * teaching views and tests): the family kernel's own streaming sparsifier run over one array.
 */
import type { Rng } from '../../rng.ts';
import type { RescaleNorm, TopkScope } from '../types.ts';
import { StreamSparsifier, type Sparsifier } from './sparsify-stream.ts';

export type { Sparsifier };

export interface SparsifyOptions {
  readonly density: number;
  readonly rescale: boolean;
  readonly gamma?: number;
  readonly epsilon?: number;
  readonly rng?: Rng | undefined;
  readonly shape: readonly number[];
  /** mergekit zeroes the whole delta when breadcrumbs removes no outliers; false fixes that. */
  readonly breadcrumbsEmptySliceQuirk?: boolean;
  /** What `rescale` keeps (merge_studio.rescale_norm; default l1, mergekit's). */
  readonly rescaleNorm?: RescaleNorm;
  /** Over what magnitude cuts rank (merge_studio.topk_scope; default tensor, mergekit's). */
  readonly topkScope?: TopkScope;
}

/** Sparsifies `delta` in place. Returns a warning when mergekit would have crashed or zeroed. */
export function sparsify(delta: Float32Array, method: Sparsifier, o: SparsifyOptions): string | undefined {
  const n = delta.length;
  const s = new StreamSparsifier(
    {
      method,
      density: o.density,
      rescale: o.rescale,
      gamma: o.gamma ?? 0.01,
      epsilon: o.epsilon ?? 0.15,
      rng: o.rng,
      shape: o.shape,
      breadcrumbsQuirk: o.breadcrumbsEmptySliceQuirk ?? true,
      rescaleNorm: o.rescaleNorm ?? 'l1',
      topkScope: o.topkScope ?? 'tensor',
    },
    n,
  );
  for (let pass = 0; pass < s.passes; pass++) {
    if (!s.observes(pass)) continue;
    s.beginPass();
    s.observe(pass, delta, 0);
    s.endPass(pass);
  }
  s.beginPass();
  s.apply(delta, 0, Math.fround);
  return s.warning;
}
