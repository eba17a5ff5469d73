/**
 * The host's half of the GPU radix select: given digit histograms (computed by the GPU), find
 * the key of the k-th largest element and how many of the elements equal to it are taken,
 * by exactly the passes and bin rule of workers/methods/shared/select.ts.
 *
 * Where that CPU code walks the keys once more to take the first `takeEqual` ties by index, the
 * GPU runs a second select on the index (see wgsl/select.ts), needed only when some ties are
 * left out. The result is then a pure threshold: key > t, or key == t and index < end.
 */

/** [shift, bits] per pass: 11 + 11 + 10 bits, as the CPU select. */
export const RADIX_PASSES: readonly (readonly [number, number])[] = [
  [21, 11],
  [10, 11],
  [0, 10],
];

/** `end` when every tie is kept (indices are below 2^32 - 1). */
export const ALL = 0xffffffff;

export interface DigitQuery {
  readonly shift: number;
  readonly bits: number;
  /** Count only keys with (key & prefixMask) === prefix. */
  readonly prefix: number;
  readonly prefixMask: number;
}

/** Counts of the digit (key >>> shift) & (2^bits - 1) among keys matching the prefix. */
export type Histogram = (q: DigitQuery) => Promise<ArrayLike<number>>;

export interface Threshold {
  readonly key: number;
  readonly takeEqual: number;
  /** Whether every element equal to `key` is taken (then no index pass is needed). */
  readonly allEqual: boolean;
}

/** The threshold selecting exactly k of n keys, by key descending then index ascending. */
export async function radixThreshold(n: number, k: number, histogram: Histogram): Promise<Threshold> {
  if (k <= 0) return { key: 0xffffffff, takeEqual: 0, allEqual: false };
  if (k >= n) return { key: 0, takeEqual: n, allEqual: true };
  let prefix = 0;
  let prefixMask = 0;
  let remaining = k;
  let lastCount = 0;
  for (const [shift, bits] of RADIX_PASSES) {
    const hist = await histogram({ shift, bits, prefix, prefixMask });
    const mask = (1 << bits) - 1;
    let bin = mask;
    for (; bin > 0; bin--) {
      const c = hist[bin]!;
      if (c >= remaining) break;
      remaining -= c;
    }
    lastCount = hist[bin]!;
    prefix = (prefix | (bin << shift)) >>> 0;
    prefixMask = (prefixMask | (mask << shift)) >>> 0;
  }
  return { key: prefix, takeEqual: remaining, allEqual: remaining >= lastCount };
}

/**
 * `end` for a threshold: ALL, 0, or one past the index of the last tie taken, found by a
 * select over index keys (0xffffffff - index) among the ties (`tieHistogram`).
 */
export async function tieEnd(n: number, th: Threshold, tieHistogram: Histogram): Promise<number> {
  if (th.allEqual) return ALL;
  if (th.takeEqual <= 0) return 0;
  const idx = await radixThreshold(n, th.takeEqual, tieHistogram);
  return 0xffffffff - idx.key + 1;
}

/** A JS histogram over explicit keys (tests and small CPU-side selections). */
export function histogramOf(keys: ArrayLike<number>, filter?: (i: number) => boolean): Histogram {
  return (q) => {
    const out = new Uint32Array(1 << q.bits);
    const mask = (1 << q.bits) - 1;
    for (let i = 0; i < keys.length; i++) {
      if (filter && !filter(i)) continue;
      const key = keys[i]!;
      if ((key & q.prefixMask) >>> 0 === q.prefix) out[(key >>> q.shift) & mask]!++;
    }
    return Promise.resolve(out);
  };
}

/** JS twin of WGSL ordered_key: float32 bits to a u32 that sorts like the float. */
export function orderedKey(bits: number): number {
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/** The float32 whose ordered key is `key`. */
export function floatOfOrderedKey(key: number): number {
  const bits = key & 0x80000000 ? key & 0x7fffffff : ~key;
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = bits >>> 0;
  return f[0]!;
}
