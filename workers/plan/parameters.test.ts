import { describe, expect, it } from 'vitest';
import { evaluateGradient, evaluateSetting, lookupParameter } from './parameters.ts';

describe('gradients', () => {
  it('interpolates piecewise-linearly with evenly spread anchors', () => {
    const g = [0, 0.5, 0.3, 0.7, 1];
    expect(evaluateGradient(g, 0)).toBe(0);
    expect(evaluateGradient(g, 1)).toBe(1);
    expect(evaluateGradient(g, 0.25)).toBeCloseTo(0.5);
    expect(evaluateGradient(g, 0.375)).toBeCloseTo(0.4);
    // 32 layers: layer 10 sits at t = 10/31, p = 1.29 -> between 0.5 and 0.3.
    expect(evaluateGradient(g, 10 / 31)).toBeCloseTo(0.5 + (40 / 31 - 1) * -0.2, 10);
  });
  it('a list of equal booleans (the only boolean gradient validation accepts) is that boolean', () => {
    for (const t of [0, 0.4, 1]) expect(evaluateGradient([true, true, true], t)).toBe(true);
    expect(evaluateGradient([false, false], 0.5)).toBe(false);
  });
});

describe('filters', () => {
  const setting = [{ filter: 'self_attn', value: [0, 1] }, { filter: 'mlp', value: 0.7 }, { value: 0.5 }];
  it('first plain-substring match wins; a filter-less entry catches the rest', () => {
    expect(evaluateSetting(setting, 'model.layers.3.self_attn.q_proj.weight', 0.5)).toEqual({
      value: 0.5,
      filter: 'self_attn',
      gradient: true,
    });
    expect(evaluateSetting(setting, 'model.layers.3.mlp.up_proj.weight', 0)?.value).toBe(0.7);
    expect(evaluateSetting(setting, 'lm_head.weight', 0)?.value).toBe(0.5);
  });
  it('layers.1. does not match layers.10.', () => {
    const s = [{ filter: 'layers.1.', value: 1 }];
    expect(evaluateSetting(s, 'model.layers.10.mlp.weight', 0)).toBeUndefined();
    expect(evaluateSetting(s, 'model.layers.1.mlp.weight', 0)?.value).toBe(1);
  });
  it('"*" matches everything', () => {
    expect(evaluateSetting([{ filter: '*', value: 2 }], 'x', 0)?.value).toBe(2);
  });
});

describe('precedence', () => {
  it('source beats slice beats top level', () => {
    const levels = { source: { w: 1 }, slice: { w: 2 }, top: { w: 3 } };
    expect(lookupParameter('w', levels, 't', 0)?.value).toBe(1);
    expect(lookupParameter('w', { slice: { w: 2 }, top: { w: 3 } }, 't', 0)?.value).toBe(2);
    expect(lookupParameter('w', { top: { w: 3 } }, 't', 0)).toEqual({
      value: 3,
      origin: { level: 'top', gradient: false },
    });
  });
  it('a level whose filters match nothing falls through', () => {
    const levels = { source: { w: [{ filter: 'mlp', value: 1 }] }, top: { w: 3 } };
    expect(lookupParameter('w', levels, 'model.layers.0.self_attn.q_proj.weight', 0)?.value).toBe(3);
    expect(lookupParameter('w', levels, 'model.layers.0.mlp.up_proj.weight', 0)?.origin).toEqual({
      level: 'source',
      filter: 'mlp',
      gradient: false,
    });
  });
  it('returns undefined when nothing is set', () => {
    expect(lookupParameter('w', {}, 'x', 0)).toBeUndefined();
  });
});
