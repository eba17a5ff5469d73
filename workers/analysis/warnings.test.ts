import { describe, expect, it } from 'vitest';
import type { ModelTensorStats, TensorAnalysis } from './types.ts';
import { analysisWarnings, THRESHOLDS } from './warnings.ts';

const stats = (model: string, over: Partial<ModelTensorStats> = {}): ModelTensorStats => ({
  model,
  norm: 1,
  relNorm: 0.1,
  density: 0.5,
  trimmed: 0.5,
  trimmedEnergy: 0.1,
  ...over,
});

const tensor = (
  name: string,
  perModel: ModelTensorStats[],
  metrics: Partial<TensorAnalysis['metrics']> = {},
): TensorAnalysis => ({
  layer: 0,
  module: name,
  tensor: name,
  elements: 10,
  sampled: 10,
  metrics: {
    cosine: 0.1,
    signConflict: 0.3,
    relNorm: 0.1,
    normShare: 0.5,
    trimmedEnergy: 0.1,
    slerpDegrees: 5,
    ...metrics,
  },
  perModel,
  dominant: perModel.length > 1 ? perModel.reduce((a, b) => (b.norm > a.norm ? b : a)).model : null,
  slerpLerp: false,
});

describe('analysis warnings', () => {
  it('raises nothing for a healthy pair', () => {
    const t = [tensor('q', [stats('a'), stats('b')]), tensor('k', [stats('a'), stats('b', { norm: 2 })])];
    expect(analysisWarnings(t, ['a', 'b'], 'base', ['a', 'b'])).toEqual([]);
  });

  it('says how many tensors cross each threshold and names the worst, with its number', () => {
    const t = [
      tensor('q', [stats('a', { trimmedEnergy: 0.62, norm: 6 }), stats('b', { norm: 1.5 })], {
        slerpDegrees: 50,
      }),
      tensor('k', [stats('a', { trimmedEnergy: 0.55, relNorm: 0.7 }), stats('b', { norm: 0 })], {
        cosine: -0.5,
      }),
      tensor('v', [stats('a'), stats('b')], { signConflict: 0.48 }),
    ];
    const w = analysisWarnings(t, ['a', 'b'], 'base', ['a', 'b']);
    const by = Object.fromEntries(w.map((x) => [x.kind, x]));
    expect(Object.keys(by).sort()).toEqual([
      'dominant',
      'far-apart',
      'opposed',
      'sign-conflict',
      'trim-energy',
      'unchanged',
      'unrelated',
    ]);
    expect(by['trim-energy']).toMatchObject({
      severity: 'warning',
      tensors: 2,
      worst: { tensor: 'q', value: 0.62 },
    });
    expect(by['trim-energy']!.message).toBe(
      "TIES at density 0.50 trims over half of a's task-vector energy in 2 of 3 tensors (up to 62% in q): raise its density.",
    );
    expect(by['far-apart']!.message).toMatch(
      /^a drifted far from base: .* in 1 of 3 tensors \(largest 0\.70 in k\)/,
    );
    expect(by['unrelated']!.message).toMatch(/over 45° apart in 1 of 3 tensors \(up to 50\.0° in q\)/);
    expect(by['opposed']).toMatchObject({ tensors: 1, threshold: THRESHOLDS.cosine, worst: { value: -0.5 } });
    // q: a's norm 6 is 4x b's 1.5; k: b has norm 0, so no ratio
    expect(by['dominant']!.message).toMatch(/^a dominates: .* in 1 of 3 tensors \(up to 4\.0x in q\)/);
    expect(by['unchanged']!.message).toBe('b equals base in 1 of 3 tensors: it adds nothing there.');
    expect(by['sign-conflict']).toMatchObject({ severity: 'note', tensors: 1 });
  });
});
