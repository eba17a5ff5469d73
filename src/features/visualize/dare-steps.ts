/**
 * DARE and DELLA, step by step: drop entries of a task vector at random (DARE: each kept with
 * probability `density`, https://arxiv.org/abs/2311.03099; DELLA's MagPrune: keep
 * probabilities from density - epsilon for the smallest magnitude of a row to
 * density + epsilon for the largest, https://arxiv.org/abs/2406.11617), then rescale the
 * survivors. All of it is the engine's sparsifier with the engine's seeded stream for the
 * tensor and input (so on a whole tensor the mask is the one the merge will draw); this
 * module only counts what it did.
 *
 * The engine rescales as mergekit does: the survivors are scaled so the task vector keeps its
 * L1 norm, which is 1/density in expectation (the paper's factor).
 */
import { bin, extent } from 'd3';
import { sparsify } from '../../../workers/methods/shared/sparsify.ts';
import { makeRng, streamKey } from '../../../workers/rng.ts';

export type DropKind = 'dare' | 'della';

export interface DropSettings {
  readonly kind: DropKind;
  readonly density: number;
  /** DELLA only. */
  readonly epsilon: number;
  readonly rescale: boolean;
  readonly seed: number;
  /** The engine's stream is keyed by tensor name and input index. */
  readonly tensorName: string;
  readonly modelIndex: number;
  readonly shape: readonly number[];
}

/** The task vector after the engine's drop and rescale. */
export function dropAndRescale(delta: Float32Array, s: DropSettings): Float32Array {
  const out = delta.slice();
  sparsify(out, s.kind === 'dare' ? 'random' : 'della_magprune', {
    density: s.density,
    rescale: s.rescale,
    epsilon: s.epsilon,
    rng: makeRng(streamKey(s.seed, s.tensorName, s.modelIndex)),
    shape: s.shape,
  });
  return out;
}

export interface DropStats {
  readonly total: number;
  readonly kept: number;
  readonly sumBefore: number;
  readonly sumAfter: number;
  readonly l1Before: number;
  readonly l1After: number;
  /** The factor the survivors were multiplied by (1 without rescale). */
  readonly factor: number;
}

export function dropStats(before: Float32Array, after: Float32Array): DropStats {
  let kept = 0;
  let sumBefore = 0;
  let sumAfter = 0;
  let l1Before = 0;
  let l1After = 0;
  let factor = 1;
  for (let i = 0; i < before.length; i++) {
    const [b, a] = [before[i]!, after[i]!];
    sumBefore += b;
    sumAfter += a;
    l1Before += Math.abs(b);
    l1After += Math.abs(a);
    if (a !== 0) {
      kept++;
      if (factor === 1 && b !== 0) factor = a / b;
    }
  }
  return { total: before.length, kept, sumBefore, sumAfter, l1Before, l1After, factor };
}

export interface SharedBin {
  readonly x0: number;
  readonly x1: number;
  readonly before: number;
  /** Survivors only: the dropped entries are counted in DropStats. */
  readonly after: number;
}

/** Histograms of the entries before and of the survivors after, over the same bins. */
export function sharedHistogram(before: Float32Array, after: Float32Array, count = 40): SharedBin[] {
  const survivors = after.filter((x) => x !== 0);
  const [lo, hi] = extent([...extent(before), ...extent(survivors)].filter((x) => x !== undefined));
  if (lo === undefined || hi === undefined || lo === hi) return [];
  const make = bin().domain([lo, hi]).thresholds(count);
  const b = make(Array.from(before));
  const a = make(Array.from(survivors));
  return b.map((x, i) => ({ x0: x.x0 ?? lo, x1: x.x1 ?? hi, before: x.length, after: a[i]?.length ?? 0 }));
}

/** Per entry, the mean of the dropped-and-rescaled value over `seeds` consecutive seeds. */
export function meanOverSeeds(delta: Float32Array, s: DropSettings, seeds: number): Float64Array {
  const mean = new Float64Array(delta.length);
  for (let k = 0; k < seeds; k++) {
    const out = dropAndRescale(delta, { ...s, seed: (s.seed + k) >>> 0 });
    for (let i = 0; i < out.length; i++) mean[i]! += out[i]! / seeds;
  }
  return mean;
}

/**
 * How often an entry survives, by its magnitude rank within its row (0 = smallest, 1 =
 * largest), over `seeds` seeds, in `buckets` rank buckets. DARE gives a flat line at the
 * density, DELLA a ramp from density - epsilon to density + epsilon.
 */
export function keepRateByRank(
  delta: Float32Array,
  s: DropSettings,
  seeds: number,
  buckets = 16,
): Float64Array {
  const cols = s.shape.length >= 2 ? s.shape[s.shape.length - 1]! : delta.length;
  const rows = cols === 0 ? 0 : delta.length / cols;
  // Rank of each entry within its row by magnitude (ties by column), mapped to a bucket.
  const bucketOf = new Uint16Array(delta.length);
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: cols }, (_, c) => c).sort(
      (x, y) => Math.abs(delta[r * cols + x]!) - Math.abs(delta[r * cols + y]!) || x - y,
    );
    order.forEach((c, rank) => {
      bucketOf[r * cols + c] = Math.min(buckets - 1, Math.floor((rank / Math.max(1, cols - 1)) * buckets));
    });
  }
  const kept = new Float64Array(buckets);
  const seen = new Float64Array(buckets);
  for (let k = 0; k < seeds; k++) {
    const out = dropAndRescale(delta, { ...s, seed: (s.seed + k) >>> 0 });
    for (let i = 0; i < out.length; i++) {
      if (delta[i] === 0) continue;
      seen[bucketOf[i]!]!++;
      if (out[i] !== 0) kept[bucketOf[i]!]!++;
    }
  }
  return kept.map((x, b) => (seen[b]! > 0 ? x / seen[b]! : 0));
}
