import { describe, expect, it } from 'vitest';
import { validateRecipe } from '../plan/validate-recipe.ts';
import { legacyRecipe } from './legacy.ts';

const errors = (r: unknown) => validateRecipe(r).problems.filter((p) => p.severity === 'error');

describe('mergekit-legacy command lines as recipes', () => {
  it('ties (the default) with the base appended, one density for all, weights per merged model', () => {
    const r = legacyRecipe({ merge: ['a', 'b'], baseModel: 'base', density: [0.5], weight: [0.3, 0.7] });
    expect(r).toEqual({
      merge_method: 'ties',
      base_model: 'base',
      models: [
        { model: 'a', parameters: { density: 0.5, weight: 0.3 } },
        { model: 'b', parameters: { density: 0.5, weight: 0.7 } },
        { model: 'base', parameters: { density: 0.5 } },
      ],
      parameters: { normalize: true },
    });
    expect(errors(r)).toEqual([]);
  });

  it('a base that is also merged is not added twice; --no-normalize, --int8-mask, --bf16', () => {
    const r = legacyRecipe({
      merge: ['base', 'a'],
      baseModel: 'base',
      density: [0.4, 0.6],
      normalize: false,
      int8Mask: true,
      bf16: true,
    });
    expect(r.models).toEqual([
      { model: 'base', parameters: { density: 0.4, weight: 1 } },
      { model: 'a', parameters: { density: 0.6, weight: 1 } },
    ]);
    expect(r.parameters).toEqual({ int8_mask: true, normalize: false });
    expect(r.dtype).toBe('bfloat16');
    expect(errors(r)).toEqual([]);
  });

  it('slerp takes exactly one weight, as t, and no normalize', () => {
    const r = legacyRecipe({ merge: ['a', 'b'], method: 'slerp', baseModel: 'a', weight: [0.25] });
    expect(r.parameters).toEqual({ t: 0.25 });
    expect(errors(r)).toEqual([]);
    expect(() => legacyRecipe({ merge: ['a', 'b'], method: 'slerp', weight: [0.1, 0.2] })).toThrow(
      /exactly one --weight/,
    );
  });

  it('--naive-count elects signs by count (mergekit ignores it)', () => {
    const r = legacyRecipe({ merge: ['a', 'b'], baseModel: 'base', density: [0.5], naiveCount: true });
    expect(r.merge_studio).toEqual({ consensus: 'count' });
    expect(errors(r)).toEqual([]);
  });

  it('refuses counts that fit no model list, and flags the method does not take', () => {
    expect(() => legacyRecipe({ merge: ['a', 'b'], baseModel: 'c', density: [0.1, 0.2, 0.3, 0.4] })).toThrow(
      /4 values of --density for 2 merged models and the base/,
    );
    expect(() => legacyRecipe({ merge: [] })).toThrow(/--merge/);
    expect(() => legacyRecipe({ merge: ['a', 'b'], method: 'slerp', weight: [0.5], int8Mask: true })).toThrow(
      /slerp has no int8_mask/,
    );
    expect(() => legacyRecipe({ merge: ['a', 'b'], method: 'linear', normalize: false })).not.toThrow();
  });
});
