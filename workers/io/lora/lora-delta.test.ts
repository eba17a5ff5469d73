import { describe, expect, it } from 'vitest';
import { decodeToF32, encodeFromF32 } from '../dtypes.ts';
import { addLoraDelta, loraFactors } from './lora-delta.ts';

const f32Bytes = (xs: number[]): Uint8Array => encodeFromF32(new Float32Array(xs), 'F32');

describe('addLoraDelta', () => {
  it('adds scaling * B @ A (hand-checked numbers)', () => {
    // A = [[1, 2, 3]] (rank 1, in 3), B = [[1], [-1]] (out 2), scaling 2: delta = [[2, 4, 6], [-2, -4, -6]].
    const f = loraFactors(
      new Float32Array([1, 2, 3]),
      [1, 3],
      new Float32Array([1, -1]),
      [2, 1],
      2,
      'linear',
      false,
    );
    const w = f32Bytes([10, 20, 30, 40, 50, 60]);
    addLoraDelta(w, 'F32', f, 0);
    expect([...decodeToF32(w, 'F32')]).toEqual([12, 24, 36, 38, 46, 54]);
  });

  it('patches any range on its own: the same bytes as patching the whole weight', () => {
    const a = new Float32Array([0.5, -1, 0.25, 2, 1, -0.5, 3, 0.125]); // rank 2, in 4
    const b = new Float32Array([1, 2, -1, 0.5, 0.25, -2]); // out 3, rank 2
    const f = loraFactors(a, [2, 4], b, [3, 2], 0.5, 'linear', false);
    const base = Array.from({ length: 12 }, (_, i) => i / 7);
    const whole = f32Bytes(base);
    addLoraDelta(whole, 'F32', f, 0);
    for (const [from, to] of [
      [0, 12],
      [3, 9],
      [5, 6],
      [7, 12],
    ] as const) {
      const part = f32Bytes(base.slice(from, to));
      addLoraDelta(part, 'F32', f, from);
      expect(part).toEqual(whole.subarray(from * 4, to * 4));
    }
  });

  it('transposed (Conv1D, embeddings): delta[i, o] = sum_k A[k, i] B[o, k]', () => {
    // A: rank 1 x in 2 = [[1, 2]]; B: out 3 x rank 1 = [[1], [10], [100]]; the weight is in x out = 2 x 3.
    const f = loraFactors(
      new Float32Array([1, 2]),
      [1, 2],
      new Float32Array([1, 10, 100]),
      [3, 1],
      1,
      'linear',
      true,
    );
    const w = f32Bytes([0, 0, 0, 0, 0, 0]);
    addLoraDelta(w, 'F32', f, 0);
    expect([...decodeToF32(w, 'F32')]).toEqual([1, 10, 100, 2, 20, 200]);
  });

  it('bf16: a linear layer rounds once, an embedding rounds the delta first (as PEFT)', () => {
    // w = 1, delta = 2^-8 + 2^-17: just over half a bf16 step above 1. Added in float32 and
    // rounded once it goes up to 1 + 2^-7; rounded to bf16 first, the delta is 2^-8, exactly
    // half a step, and 1 + 2^-8 ties to even: 1.
    const delta = 2 ** -8 + 2 ** -17;
    const one = encodeFromF32(new Float32Array([1]), 'BF16');
    const lin = one.slice();
    addLoraDelta(
      lin,
      'BF16',
      loraFactors(new Float32Array([delta]), [1, 1], new Float32Array([1]), [1, 1], 1, 'linear', false),
      0,
    );
    expect(decodeToF32(lin, 'BF16')[0]).toBe(1 + 2 ** -7);
    const emb = one.slice();
    addLoraDelta(
      emb,
      'BF16',
      loraFactors(new Float32Array([delta]), [1, 1], new Float32Array([1]), [1, 1], 1, 'embedding', true),
      0,
    );
    expect(decodeToF32(emb, 'BF16')[0]).toBe(1);
  });

  it('a zero adapter leaves the weight as it is; ranges outside the weight are refused', () => {
    const f = loraFactors(new Float32Array(4), [2, 2], new Float32Array(4), [2, 2], 2, 'linear', false);
    const w = encodeFromF32(new Float32Array([0.1, -3, 7, 1e-3]), 'BF16');
    const before = w.slice();
    addLoraDelta(w, 'BF16', f, 0);
    expect(w).toEqual(before);
    expect(() => addLoraDelta(w.subarray(0, 4), 'BF16', f, 3)).toThrow(RangeError);
  });
});
