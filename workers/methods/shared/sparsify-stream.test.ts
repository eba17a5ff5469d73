/**
 * The magnitude sparsifier's statistics passes: pass 1 (the low bits) is skipped exactly when
 * pass 0's inexact-key counts settle the cut, and the mask is the exact top-k either way, on
 * the WebAssembly kernels and on the JS references.
 */
import { describe, expect, it } from 'vitest';
import { mix32 } from '../../rng.ts';
import { Scratch } from '../../simd/arena.ts';
import { copyInto, simdAndJs } from '../../simd/test-helpers.ts';
import { StreamSparsifier } from './sparsify-stream.ts';

const CHUNK = 1 << 16;

/** The reference: keep the k largest |x|, ties to the lowest index. */
function bySort(x: Float32Array, k: number): Float32Array {
  const idx = [...x.keys()].sort((a, b) => Math.abs(x[b]!) - Math.abs(x[a]!) || a - b);
  const out = new Float32Array(x.length);
  for (const i of idx.slice(0, k)) out[i] = x[i]!;
  return out;
}

/** Streams x through a TIES sparsifier in chunks; the mask, and whether pass 1 ran. */
function sparsify(s: Scratch, x: Float32Array, k: number): { kept: Float32Array; pass1: boolean } {
  const n = x.length;
  const density = (k + 0.5) / n; // trunc(density * n) = k
  const sp = new StreamSparsifier(
    {
      method: 'magnitude',
      density,
      rescale: false,
      gamma: 0,
      epsilon: 0,
      rng: undefined,
      shape: [n],
      breadcrumbsQuirk: true,
    },
    n,
    s,
  );
  const chunk = s.f32(CHUNK);
  let pass1 = false;
  for (let pass = 0; pass < sp.passes; pass++) {
    if (!sp.observes(pass)) continue;
    pass1 ||= pass === 1;
    sp.beginPass();
    for (let at = 0; at < n; at += CHUNK) {
      const c = chunk.subarray(0, Math.min(CHUNK, n - at));
      c.set(x.subarray(at, at + c.length));
      sp.observe(pass, c, at);
    }
    sp.endPass(pass);
  }
  sp.beginPass();
  const kept = copyInto(s, x);
  for (let at = 0; at < n; at += CHUNK) sp.apply(kept.subarray(at, at + CHUNK), at, Math.fround);
  return { kept: kept.slice(), pass1 };
}

const N = 200_000;
const h = (i: number, seed: number): number => mix32(i ^ mix32(seed));
/** Differences of BF16 weights: few distinct magnitudes, low bits all 0. */
const grid = (i: number): number => ((h(i, 1) % 41) - 20) / 64;
const INEXACT = 3 / 64 + 2 ** -20; // in the bin of 3/64, above it

describe('the TIES sparsifier skips the low-bits pass when it can', () => {
  const cases: [string, (i: number) => number, (x: Float32Array) => number, boolean][] = [
    ['exact keys (BF16 deltas): skipped', grid, (x) => Math.trunc(0.37 * x.length), false],
    [
      'a few inexact keys in the cut bin, fewer than the cut takes from it: skipped',
      (i) => (h(i, 2) % 50 === 0 ? INEXACT : grid(i)),
      (x) => above(x, 3 / 64) + count(x, INEXACT) + 5,
      false,
    ],
    [
      'the cut among the inexact keys: pass 1',
      (i) => (h(i, 2) % 50 === 0 ? INEXACT * (h(i, 3) % 2 ? 1 : -1) : grid(i)),
      (x) => above(x, 3 / 64) + (count(x, INEXACT) >> 1),
      true,
    ],
    [
      'float32 deltas (inexact everywhere): pass 1',
      (i) => (h(i, 4) / 2 ** 32 - 0.5) * 0.01,
      (x) => Math.trunc(0.5 * x.length),
      true,
    ],
  ];
  for (const [name, value, kOf, pass1] of cases) {
    it(name, () => {
      const x = Float32Array.from({ length: N }, (_, i) => value(i));
      const k = kOf(x);
      const [simd, js] = simdAndJs((s) => sparsify(s, x, k));
      expect(simd.pass1).toBe(pass1);
      expect(js.pass1).toBe(pass1);
      expect(simd.kept).toEqual(bySort(x, k));
      expect(js.kept).toEqual(simd.kept);
    });
  }
});

/** Elements with |x| above v / equal to v in magnitude. */
function above(x: Float32Array, v: number): number {
  return x.reduce((s, y) => s + (Math.abs(y) > v && Math.abs(y) !== INEXACT ? 1 : 0), 0);
}
function count(x: Float32Array, v: number): number {
  return x.reduce((s, y) => s + (Math.abs(y) === v ? 1 : 0), 0);
}
