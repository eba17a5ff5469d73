/**
 * The seeded random numbers of the random methods (DARE, DELLA, arcee_fusion's sampling).
 *
 * Counter-based, not sequential: element i of a stream is a hash of (stream key, i). Any chunk
 * of a tensor can then be drawn independently and in any order, and a WGSL kernel gets the
 * same numbers from the same 32-bit integer operations, so every backend makes the same masks.
 * A stream key is derived from the job's seed, the output tensor's name and the input model,
 * so a recipe with the same seed gives the same bytes every time.
 *
 * This cannot reproduce torch's RNG (mergekit's `torch.bernoulli`): random methods match
 * mergekit in distribution, as the golden set's statistical checks verify.
 */

export interface Rng {
  readonly key: number;
  /** Uniform in [0, 1) with 24 random bits, a pure function of (key, index). */
  uniform(index: number): number;
}

/** A 32-bit finaliser with low bias (Wellons' "lowbias32" constants). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** 32-bit FNV-1a of a string's UTF-8 bytes. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function streamKey(seed: number, tensorName: string, modelIndex: number): number {
  return mix32(fnv1a32(tensorName) ^ mix32((seed >>> 0) ^ mix32(modelIndex + 0x9e3779b9)));
}

/** Two rounds so that streams with different keys are not shifted copies of each other. */
export function hashAt(key: number, index: number): number {
  return mix32((mix32((index ^ key) >>> 0) + key) >>> 0);
}

const INV_2_24 = 1 / 16777216;

export function uniformAt(key: number, index: number): number {
  return (hashAt(key, index) >>> 8) * INV_2_24;
}

export function makeRng(key: number): Rng {
  return { key, uniform: (i) => uniformAt(key, i) };
}

/**
 * A standard normal draw, a pure function of (key, index): Box-Muller on uniforms 2i and 2i+1
 * (torch.randn's role in mergekit-moe's random gates and expert noise, not its numbers).
 */
export function normalAt(key: number, index: number): number {
  const u1 = 1 - uniformAt(key, 2 * index); // in (0, 1]: never log(0)
  const u2 = uniformAt(key, 2 * index + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
