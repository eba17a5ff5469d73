import { describe, expect, it } from 'vitest';
import type { DType } from '../io/dtypes.ts';
import type { LoadedTensor } from '../io/load-model.ts';
import { FillMissingError } from './errors.ts';
import { planFill } from './plan-fill.ts';

type Spec = readonly [name: string, shape: readonly number[], dtype?: DType, file?: string];

/** A model's tensors, stored one after another in the order given (or in `file`). */
function model(specs: readonly Spec[]): Map<string, LoadedTensor> {
  let at = 0;
  return new Map(
    specs.map(([name, shape, dtype = 'BF16', file = 'model.safetensors']) => {
      const end = at + shape.reduce((a, b) => a * b, 1) * 2;
      const t: LoadedTensor = { dtype, shape, file, begin: at, end };
      at = end;
      return [name, t];
    }),
  );
}

const names = { base: 'vlm', submodel: 'merged' };
const SUB: Spec[] = [
  ['model.embed_tokens.weight', [4, 2]],
  ['model.norm.weight', [2]],
  ['lm_head.weight', [4, 2]],
];
const prefixed = (specs: readonly Spec[], p: string): Spec[] =>
  specs.map(([n, ...rest]) => [`${p}.${n}`, ...rest]);

function error(f: () => unknown): FillMissingError {
  try {
    f();
  } catch (e) {
    if (e instanceof FillMissingError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('planFill', () => {
  it('fills a base that keeps its language model one level down (model.language_model.*)', () => {
    const base = model([
      ['model.language_model.embed_tokens.weight', [4, 2]],
      ['model.language_model.norm.weight', [2]],
      ['lm_head.weight', [4, 2]],
      ['model.vision_tower.w', [3], 'F32'],
    ]);
    const plan = planFill(base, model(SUB), names);
    expect([plan.prefix, plan.nestedUnder, plan.replaced, plan.kept]).toEqual([
      'model.language_model',
      'model',
      3,
      1,
    ]);
    expect(plan.tensors.map((t) => [t.name, t.source])).toEqual([
      ['model.language_model.embed_tokens.weight', 'model.embed_tokens.weight'],
      ['model.language_model.norm.weight', 'model.norm.weight'],
      ['lm_head.weight', 'lm_head.weight'],
      ['model.vision_tower.w', 'model.vision_tower.w'],
    ]);
  });

  it('takes each tensor the submodel has from it, in the order the base stores them', () => {
    // The index's shards come in file-name order, each by offset, whatever the map's order.
    const base = model([
      ['vision_tower.w', [3], 'F32', 'model-00002-of-00002.safetensors'],
      ...prefixed(SUB, 'language_model').map(([n, s]): Spec => [
        n,
        s,
        'BF16',
        'model-00001-of-00002.safetensors',
      ]),
    ]);
    const plan = planFill(base, model(SUB), names);
    expect(plan.prefix).toBe('language_model');
    expect([plan.replaced, plan.kept]).toEqual([3, 1]);
    expect(plan.tensors.map((t) => [t.name, t.from, t.source])).toEqual([
      ['language_model.model.embed_tokens.weight', 'submodel', 'model.embed_tokens.weight'],
      ['language_model.model.norm.weight', 'submodel', 'model.norm.weight'],
      ['language_model.lm_head.weight', 'submodel', 'lm_head.weight'],
      ['vision_tower.w', 'base', 'vision_tower.w'],
    ]);
    expect(plan.tensors[3]!.dtype).toBe('F32');
  });

  it('works without a prefix', () => {
    const plan = planFill(model([...SUB, ['mtp.weight', [2]]]), model(SUB), names);
    expect(plan.prefix).toBe('');
    expect(plan.tensors.map((t) => t.from)).toEqual(['submodel', 'submodel', 'submodel', 'base']);
  });

  it('refuses a base that is not larger, as mergekit', () => {
    const e = error(() => planFill(model(prefixed(SUB, 'language_model')), model(SUB), names));
    expect(e.reason).toBe('base-not-larger');
    expect(e.message).toMatch(/vlm has 3 tensors and merged 3/);
  });

  it('refuses submodel tensors that replace nothing, listing the first few', () => {
    const sub = model([
      ...SUB,
      ...Array.from({ length: 7 }, (_, i): Spec => [`model.extra.${i}.weight`, [2]]),
    ]);
    const base = model([...prefixed(SUB, 'language_model'), ...Array.from({ length: 20 }, (_, i): Spec => [`v.${i}`, [1]])]); // prettier-ignore
    const e = error(() => planFill(base, sub, names));
    expect(e.reason).toBe('unmatched');
    expect(e.message).toContain('7 of 10 tensors of merged have no tensor in vlm as language_model.<name>');
    expect(e.message).toContain('model.extra.0.weight, model.extra.1.weight');
    expect(e.message).toContain('and 2 more');
  });

  it('refuses a shape mismatch, naming the tensor and both shapes', () => {
    const sub = model([['model.embed_tokens.weight', [5, 2]], ...SUB.slice(1)]);
    const base = model([...prefixed(SUB, 'language_model'), ['vision_tower.w', [3]]]);
    const e = error(() => planFill(base, sub, names));
    expect(e.reason).toBe('mismatch');
    expect(e.message).toContain(
      'model.embed_tokens.weight is BF16 [5, 2] in merged, language_model.model.embed_tokens.weight is BF16 [4, 2] in vlm',
    );
  });

  it('refuses a dtype mismatch', () => {
    const sub = model(SUB.map(([n, s]): Spec => [n, s, 'F32']));
    const base = model([...prefixed(SUB, 'language_model'), ['vision_tower.w', [3]]]);
    const e = error(() => planFill(base, sub, names));
    expect(e.reason).toBe('mismatch');
    expect(e.message).toMatch(/^3 tensors of merged do not fit/);
    expect(e.message).toContain('lm_head.weight is F32 [4, 2] in merged, language_model.lm_head.weight is BF16 [4, 2] in vlm'); // prettier-ignore
  });
});
