import { describe, expect, it } from 'vitest';
import { runKernel, UnknownMethodError } from './engine-kernels.ts';

describe('runKernel', () => {
  it('fills the method’s defaults and never changes the caller’s arrays', () => {
    const base = Float32Array.of(1, 1, 1, 1);
    const x = Float32Array.of(2, 0, 1, 5);
    // ties with its defaults (density 1, normalize on, lambda 1) and one model: base + delta.
    const { out } = runKernel({ method: 'ties', base, inputs: [x], perModel: [{ weight: 1 }] });
    expect(Array.from(out)).toEqual([2, 0, 1, 5]);
    expect(Array.from(x)).toEqual([2, 0, 1, 5]); // the kernel turned its copy into a task vector
  });

  it('draws the engine’s stream for (seed, tensor, input): same seed same mask, another seed another', () => {
    const x = Float32Array.from({ length: 64 }, (_, i) => i + 1);
    const call = (seed: number) =>
      runKernel({
        method: 'dare_linear',
        base: new Float32Array(64),
        inputs: [x],
        perModel: [{ weight: 1, density: 0.5 }],
        global: { rescale: false },
        seed,
        tensorName: 'w',
      }).out;
    expect(call(1)).toEqual(call(1));
    expect(call(1)).not.toEqual(call(2));
    expect(Array.from(call(1)).every((v, i) => v === 0 || v === i + 1)).toBe(true);
  });

  it('names an unknown method', () => {
    expect(() => runKernel({ method: 'average', inputs: [] })).toThrow(UnknownMethodError);
    expect(() => runKernel({ method: 'average', inputs: [] })).toThrow(/no merge method named average/);
  });
});
