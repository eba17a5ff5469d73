import { describe, expect, it } from 'vitest';
import { jsVectorOps } from '../kernels/vector-ops.ts';
import { applyRope, causalSoftmax, ropeTables } from './ops.ts';

/** Probabilities from unnormalised exps and per-row inverse sums, to 6 decimals. */
const probs = (s: Float32Array, inv: Float32Array, ld: number): number[] =>
  [...s].map((v, i) => +(v * inv[Math.floor(i / ld)]!).toFixed(6));

describe('layer ops', () => {
  it('RoPE rotates pairs (i, i + d/2) by position x frequency ("rotate half")', () => {
    const t = ropeTables(Float64Array.of(1, 0.01), 4);
    const x = Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0); // two rows (positions 2 and 3), head dim 4
    applyRope(x, 4, 0, 2, 1, 4, 2, t);
    expect([...x.subarray(0, 4)].map((v) => +v.toFixed(6))).toEqual(
      [Math.cos(2), 0, Math.sin(2), 0].map((v) => +v.toFixed(6)),
    );
    expect(x[4]).toBeCloseTo(Math.cos(3), 6);
    expect(x[6]).toBeCloseTo(Math.sin(3), 6);
    const y = Float32Array.of(0, 1, 0, 0);
    applyRope(y, 4, 0, 1, 1, 4, 1, t); // second pair at frequency 0.01
    expect(y[1]).toBeCloseTo(Math.cos(0.01), 6);
    expect(y[3]).toBeCloseTo(Math.sin(0.01), 6);
  });

  it('causal softmax masks the future, and with a window the far past', () => {
    const s = Float32Array.of(0, 9, 9, Math.log(3), 0, 9, 0, 0, Math.log(2));
    const inv = new Float32Array(3);
    causalSoftmax(jsVectorOps, s, 3, 3, 0, 3, 1, undefined, inv);
    expect(probs(s, inv, 3)).toEqual([1, 0, 0, 0.75, 0.25, 0, 0.25, 0.25, 0.5]);
    expect(inv[2]).toBeCloseTo(1 / 2, 6); // exps of 0, 0, log 2 shifted by the max: 0.5 + 0.5 + 1
    const w = Float32Array.of(5, 0, Math.log(3), 9, 7);
    causalSoftmax(jsVectorOps, w, 5, 1, 2, 4, 1, 2, inv); // position 2, window 2: keys 1 and 2; column 4 is past the limit
    expect(probs(w, inv, 5)).toEqual([0, 0.25, 0.75, 0, 7 * inv[0]!].map((v) => +v.toFixed(6)));
  });
});
