/**
 * How every operation of workers/simd picks its path: the WebAssembly kernel when SIMD is on
 * and all the arrays it touches lie in the arena, the JS reference otherwise. Kernels work on
 * whole blocks (4 or 8 elements); the few elements after the last block go through the JS
 * reference too, which computes the same bits, so any length works on either path.
 */
import { simdArena, type SimdArena } from './arena.ts';

/** The arena when SIMD is on and every view lies in it, else undefined (take the JS path). */
export function wasmFor(...views: readonly (ArrayBufferView | undefined)[]): SimdArena | undefined {
  const a = simdArena();
  if (!a) return undefined;
  for (const v of views) if (v && !a.holds(v)) return undefined;
  return a;
}

/** Elements covered by whole blocks of `lanes`. */
export const whole = (n: number, lanes: number): number => n - (n % lanes);
