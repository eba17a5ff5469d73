import { describe, expect, it } from 'vitest';
import { getMethod } from '../../../workers/methods/registry.ts';
import type { ParamSpec } from '../../../workers/methods/types.ts';
import { evaluateSetting } from '../../../workers/plan/parameters.ts';
import {
  addAnchor,
  addCatchAll,
  addFilterCurve,
  axisDomain,
  clampValue,
  curveValue,
  limitsOf,
  matchCurve,
  moveCurve,
  parseSetting,
  presetAnchors,
  removeAnchor,
  removeCurve,
  renameFilter,
  resample,
  setAnchor,
  toSetting,
  UnsupportedSettingError,
  type CurveSet,
} from './curve-model.ts';

const spec = (method: string, name: string): ParamSpec =>
  getMethod(method)!.params.find((p) => p.name === name)!;

const SLERP_FILTERS = [
  { filter: 'self_attn', value: [0, 0.5, 0.3, 0.7, 1] },
  { filter: 'mlp', value: [1, 0.5, 0.7, 0.3, 0] },
  { value: [0.2, 0.8] },
];

/** Piecewise linear between evenly spread anchors, written out by hand. */
function byHand(a: readonly number[], t: number): number {
  if (a.length === 1) return a[0]!;
  const p = t * (a.length - 1);
  const k = Math.min(a.length - 2, Math.floor(p));
  return a[k]! + (p - k) * (a[k + 1]! - a[k]!);
}

const r = (v: number) => Math.round(v * 100) / 100;

describe('reading and writing settings', () => {
  it('reads a scalar, a gradient and a filter list', () => {
    expect(parseSetting(0.5)).toEqual([{ filter: undefined, anchors: [0.5] }]);
    expect(parseSetting([0, 0.5, 1])).toEqual([{ filter: undefined, anchors: [0, 0.5, 1] }]);
    expect(parseSetting(SLERP_FILTERS)).toEqual([
      { filter: 'self_attn', anchors: [0, 0.5, 0.3, 0.7, 1] },
      { filter: 'mlp', anchors: [1, 0.5, 0.7, 0.3, 0] },
      { filter: undefined, anchors: [0.2, 0.8] },
    ]);
  });

  it("takes '*' as the catch-all and drops the entries it hides", () => {
    expect(
      parseSetting([
        { filter: 'mlp', value: 0.7 },
        { filter: '*', value: 0.3 },
        { filter: 'o_proj', value: 1 },
      ]),
    ).toEqual([
      { filter: 'mlp', anchors: [0.7] },
      { filter: undefined, anchors: [0.3] },
    ]);
  });

  it('refuses booleans and strings with a message pointing to the YAML', () => {
    expect(() => parseSetting(true)).toThrow(UnsupportedSettingError);
    expect(() => parseSetting([{ filter: 'mlp', value: 'x' }])).toThrow(/edit it in the YAML/);
  });

  it('writes the shortest form: a number, a gradient, or filters with the catch-all last', () => {
    expect(toSetting([{ filter: undefined, anchors: [0.4] }])).toBe(0.4);
    expect(toSetting([{ filter: undefined, anchors: [0, 1] }])).toEqual([0, 1]);
    expect(toSetting(parseSetting(SLERP_FILTERS))).toEqual(SLERP_FILTERS);
    expect(toSetting([{ filter: 'mlp', anchors: [0.7] }])).toEqual([{ filter: 'mlp', value: 0.7 }]);
    expect(toSetting([])).toBeUndefined();
  });

  it('picks the same curve and value as the planner for every tensor and layer', () => {
    const curves = parseSetting(SLERP_FILTERS);
    const names = [
      'model.layers.2.self_attn.q_proj.weight',
      'model.layers.0.mlp.down_proj.weight',
      'model.layers.3.input_layernorm.weight',
      'lm_head.weight',
    ];
    expect(names.map((n) => matchCurve(curves, n))).toEqual([0, 1, 2, 2]);
    for (const name of names) {
      const c = curves[matchCurve(curves, name)]!;
      for (const t of [0, 0.2, 1 / 3, 0.5, 0.9, 1]) {
        const engine = evaluateSetting(toSetting(curves)!, name, t)!;
        expect(engine.filter).toBe(c.filter);
        expect(engine.value).toBeCloseTo(byHand(c.anchors, t), 12);
        expect(curveValue(c, t)).toBeCloseTo(byHand(c.anchors, t), 12);
      }
    }
    expect(matchCurve([{ filter: 'mlp', anchors: [1] }], 'lm_head.weight')).toBe(-1);
  });
});

describe('editing curves', () => {
  const base: CurveSet = [
    { filter: 'self_attn', anchors: [0, 1] },
    { filter: undefined, anchors: [0.5] },
  ];

  it('resamples a curve at evenly spread anchors', () => {
    expect(resample([0, 1], 3)).toEqual([0, 0.5, 1]);
    expect(resample([0, 1, 0], 5)).toEqual([0, 0.5, 1, 0.5, 0]);
    expect(resample([0, 1], 1)).toEqual([0.5]);
  });

  it('adds an anchor by resampling and removes one by index, never the last', () => {
    const three = addAnchor(base, 0, (v) => v);
    expect(three[0]!.anchors).toEqual([0, 0.5, 1]);
    expect(addAnchor([{ filter: undefined, anchors: [0, 1] }], 0, r)[0]!.anchors).toEqual([0, 0.5, 1]);
    expect(addAnchor([{ filter: undefined, anchors: [0, 0.5, 1] }], 0, r)[0]!.anchors).toEqual([
      0, 0.33, 0.67, 1,
    ]);
    expect(removeAnchor(three, 0, 1)[0]!.anchors).toEqual([0, 1]);
    expect(removeAnchor(base, 1, 0)).toBe(base);
  });

  it('moves one anchor and leaves the other curves alone', () => {
    const next = setAnchor(base, 0, 1, 0.25);
    expect(next[0]!.anchors).toEqual([0, 0.25]);
    expect(next[1]).toBe(base[1]);
    expect(setAnchor(base, 0, 5, 1)).toBe(base);
  });

  it('adds filter curves before the catch-all, once per filter', () => {
    const next = addFilterCurve(base, ' mlp ', [0.5]);
    expect(next.map((c) => c.filter)).toEqual(['self_attn', 'mlp', undefined]);
    expect(addFilterCurve(next, 'mlp', [1])).toBe(next);
    expect(addFilterCurve(next, '  ', [1])).toBe(next);
    expect(addFilterCurve([{ filter: 'a', anchors: [1] }], 'b', [2]).map((c) => c.filter)).toEqual([
      'a',
      'b',
    ]);
  });

  it('a new filter curve copies its start, so the YAML gets no &anchor/*alias pair', () => {
    const start = base.find((c) => c.filter === undefined)!.anchors;
    const next = addFilterCurve(base, 'mlp', start);
    const added = next.find((c) => c.filter === 'mlp')!;
    expect(added.anchors).toEqual(start);
    expect(added.anchors).not.toBe(start);
  });

  it('reorders filters but keeps the catch-all last', () => {
    const three = addFilterCurve(base, 'mlp', [0.5]);
    expect(moveCurve(three, 1, -1).map((c) => c.filter)).toEqual(['mlp', 'self_attn', undefined]);
    expect(moveCurve(three, 1, 1)).toBe(three);
    expect(moveCurve(three, 0, -1)).toBe(three);
  });

  it('renames, removes and restores the catch-all', () => {
    expect(renameFilter(base, 0, 'attn')[0]!.filter).toBe('attn');
    expect(renameFilter(base, 0, '')).toBe(base);
    expect(renameFilter(base, 1, 'x')).toBe(base);
    const noFallback = removeCurve(base, 1);
    expect(toSetting(noFallback)).toEqual([{ filter: 'self_attn', value: [0, 1] }]);
    expect(addCatchAll(noFallback, [0.3])[1]).toEqual({ filter: undefined, anchors: [0.3] });
  });

  it('gives the five presets between low and high', () => {
    expect(presetAnchors('ramp-up', 0.1, 0.9, [])).toEqual([0.1, 0.9]);
    expect(presetAnchors('ramp-down', 0.1, 0.9, [])).toEqual([0.9, 0.1]);
    expect(presetAnchors('v', 0, 1, [])).toEqual([1, 0, 1]);
    expect(presetAnchors('a', 0, 1, [])).toEqual([0, 1, 0]);
    expect(presetAnchors('flat', 0, 1, [0.2, 0.4])).toEqual([0.30000000000000004]);
  });
});

describe('value limits', () => {
  it('reads the useful range and the hard limits from the schema', () => {
    expect(limitsOf(spec('slerp', 't'))).toEqual({
      low: 0,
      high: 1,
      hardMin: -Infinity,
      hardMax: Infinity,
      step: 0.01,
      integer: false,
    });
    expect(limitsOf(spec('ties', 'density'))).toMatchObject({ low: 0, high: 1, hardMin: 0, hardMax: 1 });
    // karcher's tol is > 0: the exclusive limit is pulled in by one step
    expect(limitsOf(spec('karcher', 'tol'))).toMatchObject({ hardMin: 1e-8, step: 1e-8 });
    expect(limitsOf(spec('karcher', 'max_iter'))).toMatchObject({ hardMin: 1, step: 1, integer: true });
  });

  it('rounds to the step and clamps to the hard limits and an optional axis', () => {
    const density = limitsOf(spec('ties', 'density'));
    expect(clampValue(0.123456, density)).toBe(0.12);
    expect(clampValue(0.1 + 0.2, density)).toBe(0.3);
    expect(clampValue(1.5, density)).toBe(1);
    expect(clampValue(-0.2, density)).toBe(0);
    const t = limitsOf(spec('slerp', 't'));
    expect(clampValue(1.5, t)).toBe(1.5);
    expect(clampValue(1.5, t, 0, 1)).toBe(1);
    expect(clampValue(0.00012, limitsOf(spec('nearswap', 't')))).toBe(0.0001);
    expect(clampValue(3.6, limitsOf(spec('karcher', 'max_iter')))).toBe(4);
  });

  it('widens the axis to show every anchor', () => {
    const t = limitsOf(spec('slerp', 't'));
    expect(axisDomain(t, [{ filter: undefined, anchors: [0.2, 1.4] }])).toEqual([0, 1.4]);
    expect(axisDomain(t, [{ filter: undefined, anchors: [-0.5] }])).toEqual([-0.5, 1]);
  });
});
