/**
 * A seeded sequence of uniforms for the recipe generators. The engine's random numbers are
 * counter-based (../rng.ts); a generator only needs a short sequence, so it walks a counter.
 * Python's `random` module, which mergekit's scripts use, is unseeded there: no run can be
 * repeated, which is why ours takes a seed and prints it.
 */
import { mix32, uniformAt } from '../rng.ts';

export interface Sequence {
  /** Uniform in [0, 1). */
  next(): number;
  /** A whole number in [0, n), as Python's `random.randrange(n)`. */
  below(n: number): number;
}

export function sequence(seed: number): Sequence {
  const key = mix32((seed >>> 0) ^ 0x6c617973); // "lays": apart from the engine's stream keys
  let i = 0;
  const next = (): number => uniformAt(key, i++);
  return { next, below: (n) => Math.min(n - 1, Math.floor(next() * n)) };
}

/** An index drawn with probability proportional to `weights`, as `random.choices(k=1)`. */
export function weightedIndex(seq: Sequence, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = seq.next() * total;
  for (const [i, w] of weights.entries()) {
    if (u < w) return i;
    u -= w;
  }
  // Rounding can leave u just past the last bin: take the last model with a weight.
  return weights.findLastIndex((w) => w > 0);
}

/** Fisher-Yates, in place. */
export function shuffle<T>(seq: Sequence, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = seq.below(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
