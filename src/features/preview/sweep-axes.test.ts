import { describe, expect, it } from 'vitest';
import { applySweepPoint } from '../../../workers/eval/sweep/sweep-points.ts';
import type { Recipe } from '../../../workers/plan/recipe.ts';
import { defaultAxis, sweepableParams, toSweepAxes, tunedModels } from './sweep-axes.ts';

const TA: Recipe = {
  merge_method: 'task_arithmetic',
  base_model: 'base',
  models: [
    { model: 'base' },
    { model: 'code', parameters: { weight: 0.5 } },
    { model: 'math', parameters: { weight: 0.5 } },
  ],
};

describe('sweepable parameters', () => {
  it('lists numeric globals and each tuned model’s parameters, with a useful range', () => {
    expect(tunedModels(TA)).toEqual(['code', 'math']);
    const keys = sweepableParams(TA).map((o) => `${o.key} ${o.from}..${o.to}`);
    expect(keys).toEqual([
      'lambda 0..1',
      'weight@code 0..1',
      'weight@math 0..1',
      'density@code 0.1..1',
      'density@math 0.1..1',
    ]);
    const slerp: Recipe = {
      merge_method: 'slerp',
      base_model: 'a',
      models: [{ model: 'a' }, { model: 'b' }],
    };
    expect(sweepableParams(slerp).map((o) => o.key)).toEqual(['t']);
    // linear: the base is an input like the others
    const linear: Recipe = {
      merge_method: 'linear',
      base_model: 'a',
      models: [{ model: 'a' }, { model: 'b' }],
    };
    expect(tunedModels(linear)).toEqual(['a', 'b']);
  });

  it('starts with t, else the first weight against the second at 1 - x', () => {
    expect(defaultAxis(TA)).toEqual({ key: 'weight@code', from: 0, to: 1, steps: 11, complement: 'math' });
    expect(
      defaultAxis({ merge_method: 'slerp', base_model: 'a', models: [{ model: 'a' }, { model: 'b' }] }),
    ).toEqual({
      key: 't',
      from: 0,
      to: 1,
      steps: 11,
    });
  });
});

describe('sweep axes from the form', () => {
  it('builds the acceptance axis: code weight x, math weight 1 - x, 11 steps', () => {
    const [axis] = toSweepAxes(TA, [defaultAxis(TA)!]);
    expect(axis.values).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(axis.label).toBe('weight of code (math: 1 − x)');
    const best = applySweepPoint(TA, [axis], [0.6]);
    expect(best.models?.map((m) => m.parameters?.['weight'])).toEqual([undefined, 0.6, 0.4]);
  });

  it('builds a density x weight grid and refuses bad forms with a message', () => {
    const axes = toSweepAxes(TA, [
      { key: 'density@code', from: 0.2, to: 1, steps: 5 },
      { key: 'weight@code', from: 0, to: 1, steps: 3 },
    ]);
    expect(axes.map((a) => a.values)).toEqual([
      [0.2, 0.4, 0.6, 0.8, 1],
      [0, 0.5, 1],
    ]);
    expect(() => toSweepAxes(TA, [{ key: 't', from: 0, to: 1, steps: 11 }])).toThrow('no parameter t');
    expect(() => toSweepAxes(TA, [{ key: 'lambda', from: 0, to: 1, steps: 1 }])).toThrow('at least 2 steps');
    expect(() => toSweepAxes(TA, [{ key: 'lambda', from: 1, to: 1, steps: 3 }])).toThrow(
      'two different numbers',
    );
    expect(() =>
      toSweepAxes(TA, [
        { key: 'lambda', from: 0, to: 1, steps: 12 },
        { key: 'weight@code', from: 0, to: 1, steps: 11 },
      ]),
    ).toThrow('132 points is too many (at most 121)');
    expect(() =>
      toSweepAxes(TA, [
        { key: 'lambda', from: 0, to: 1, steps: 2 },
        { key: 'lambda', from: 0, to: 1, steps: 2 },
      ]),
    ).toThrow('the same parameter');
  });
});
