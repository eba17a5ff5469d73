/**
 * The passes of the exact magnitude top-k (TIES, breadcrumbs): non-negative float32 values
 * order like their bit patterns, so |x| becomes the 31-bit key `bits & 0x7fffffff`. Pass one
 * histograms the top 15 bits of the keys, pass two the low 16 bits inside the bin that holds
 * the k-th largest; the result is a key and how many elements equal to it to keep, lowest
 * indices first. Pass one counts each bin's keys in two, those whose low bits are all 0 and
 * the others ("inexact"), which often makes pass two unnecessary (see
 * ../methods/shared/sparsify-stream.ts). The mask then keeps keys above the cut, and equal keys while the cut's
 * counter lasts (breadcrumbs: minus a second, outlier cut).
 *
 * Each step is a JS reference and a WebAssembly kernel (wasm/select-kernels.ts) with the same
 * results; counters and histograms carry over from chunk to chunk, so any chunking gives the
 * same mask.
 */
import { PARAMS } from './arena.ts';
import { wasmFor, whole } from './dispatch.ts';

/** A key above every magnitude: a cut with this key selects nothing. */
export const NO_KEY = 0x80000000;

/** histHi's counters: two for each of the 32768 bins of the top 15 bits. */
export const HI_BINS = 65536;

/** One or two cuts and their tie counters (how many equal keys each may still select). */
export interface CutState {
  readonly keepKey: number;
  keepLeft: number;
  /** NO_KEY (and dropLeft 0) when there is no outlier cut. */
  readonly dropKey: number;
  dropLeft: number;
}

// ---------------------------------------------------------------------------------------------
// JS references

/**
 * hist[2 * (key >>> 16) + (key & 0xffff ? 1 : 0)]++ for the magnitude keys of x: each bin of
 * the top 15 bits counted in two, its exact keys (low bits all 0) and its inexact ones.
 */
export function histHiJs(x: Float32Array, hist: Uint32Array): void {
  const bits = new Int32Array(x.buffer, x.byteOffset, x.length);
  for (let i = 0; i < bits.length; i++) {
    const key = bits[i]! & 0x7fffffff;
    hist[((key >>> 15) & ~1) | (key & 0xffff ? 1 : 0)]!++;
  }
}

export function histLoJs(x: Float32Array, bin: number, lo: Uint32Array): void {
  const bits = new Int32Array(x.buffer, x.byteOffset, x.length);
  for (let i = 0; i < bits.length; i++) {
    const key = bits[i]! & 0x7fffffff;
    if (key >>> 16 === bin) lo[key & 0xffff]!++;
  }
}

/** Zeroes what the cuts do not keep; tie counters count down in index order and stop at 0. */
export function maskJs(x: Float32Array, c: CutState): void {
  const bits = new Int32Array(x.buffer, x.byteOffset, x.length);
  // Locals, not properties, in the hot loops (written back after).
  const { keepKey, dropKey } = c;
  let keepLeft = c.keepLeft;
  if (dropKey === NO_KEY) {
    for (let i = 0; i < bits.length; i++) {
      const key = bits[i]! & 0x7fffffff;
      if (key < keepKey) x[i] = 0;
      else if (key === keepKey) {
        if (keepLeft > 0) keepLeft--;
        else x[i] = 0;
      }
    }
    c.keepLeft = keepLeft;
    return;
  }
  let dropLeft = c.dropLeft;
  for (let i = 0; i < bits.length; i++) {
    const key = bits[i]! & 0x7fffffff;
    let kept = key > keepKey;
    if (key === keepKey && keepLeft > 0) {
      kept = true;
      keepLeft--;
    }
    let dropped = key > dropKey;
    if (key === dropKey && dropLeft > 0) {
      dropped = true;
      dropLeft--;
    }
    if (!kept || dropped) x[i] = 0;
  }
  c.keepLeft = keepLeft;
  c.dropLeft = dropLeft;
}

// ---------------------------------------------------------------------------------------------
// Dispatch

/** histHiJs's counts (hist: HI_BINS counters, two per bin), with the kernel when it can. */
export function histHi(x: Float32Array, hist: Uint32Array): void {
  const a = wasmFor(x, hist);
  const m = a ? whole(x.length, 4) : 0;
  if (m > 0) a!.k.histHi(x.byteOffset, m / 4, hist.byteOffset);
  if (m < x.length) histHiJs(x.subarray(m), hist);
}

/** lo[key & 0xffff]++ over the keys of x whose top bits are `bin` (lo: 65536 bins). */
export function histLo(x: Float32Array, bin: number, lo: Uint32Array): void {
  const a = wasmFor(x, lo);
  const m = a ? whole(x.length, 4) : 0;
  if (m > 0) a!.k.histLo(x.byteOffset, m / 4, bin, lo.byteOffset);
  if (m < x.length) histLoJs(x.subarray(m), bin, lo);
}

/** Zeroes, in place, the elements of x the cuts do not keep; advances the tie counters. */
export function maskCuts(x: Float32Array, c: CutState): void {
  const a = wasmFor(x);
  const m = a ? whole(x.length, 4) : 0;
  if (m > 0) {
    const k = a!.k;
    const state = new Int32Array(a!.buffer, PARAMS, 2);
    state[0] = c.keepLeft;
    state[1] = c.dropLeft;
    if (c.dropKey === NO_KEY) k.maskKeep(x.byteOffset, m / 4, c.keepKey, PARAMS);
    else k.maskBand(x.byteOffset, m / 4, c.keepKey, c.dropKey, PARAMS);
    c.keepLeft = state[0]!;
    c.dropLeft = state[1]!;
  }
  if (m < x.length) maskJs(x.subarray(m), c);
}
