/** Helpers for the SIMD-vs-JS tests: awkward float data, arena arrays, bitwise comparison. */
import { expect } from 'vitest';
import { mix32 } from '../rng.ts';
import { Scratch, setSimdEnabled, simdArena } from './arena.ts';

/** The float32 bit patterns of a, for exact comparison (NaN, -0 included). */
export const bitsOf = (a: Float32Array): Uint32Array =>
  new Uint32Array(a.buffer, a.byteOffset, a.length).slice();

/**
 * The bits of a with every NaN as the canonical quiet NaN: for results of arithmetic, whose NaN
 * sign and payload WebAssembly leaves to the hardware (as JS does for its own NaNs).
 */
export const arithBits = (a: Float32Array): Uint32Array =>
  bitsOf(a).map((b) => ((b & 0x7fffffff) > 0x7f800000 ? 0x7fc00000 : b));

/**
 * Values that stress the kernels: mostly small normal floats on a coarse grid (so many are
 * exactly equal: ties at cut-offs), plus zeros of both signs and, with `special`, infinities,
 * NaN, subnormals and huge values.
 */
export function awkward(n: number, seed: number, special = false): Float32Array {
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const h = mix32(i ^ mix32(seed));
    const r = h % 100;
    if (r < 5) out[i] = r & 1 ? -0 : 0;
    else if (special && r < 8)
      bits[i] = mix32(h); // any pattern: NaN, inf, subnormal, huge
    else if (special && r < 9) out[i] = r & 1 ? Infinity : -Infinity;
    else if (r < 40)
      out[i] = (((h >>> 8) % 64) - 32) / 256; // coarse: many ties
    else out[i] = ((((h >>> 8) & 0xffff) - 32768) / 32768) * 2 ** ((h >>> 24) % 8) * 0.01;
  }
  return out;
}

/**
 * Runs `fn` twice: with SIMD on, on arrays it allocates from a Scratch in the arena, and with
 * SIMD off (plain arrays, the JS reference). Returns both results.
 */
export function simdAndJs<T>(fn: (s: Scratch) => T): [simd: T, js: T] {
  const arena = simdArena();
  expect(arena, 'WebAssembly SIMD should be available in Node 20').toBeDefined();
  const s = new Scratch(arena);
  try {
    const simd = fn(s);
    setSimdEnabled(false);
    const js = fn(new Scratch(undefined));
    return [simd, js];
  } finally {
    setSimdEnabled(true);
    s.release();
  }
}

/** A copy of `src` in the scratch (so in the arena when the scratch is). */
export function copyInto(s: Scratch, src: Float32Array): Float32Array {
  const x = s.f32(src.length);
  x.set(src);
  return x;
}
