import { describe, expect, it } from 'vitest';
import {
  addPrefix,
  describeMapping,
  findNested,
  findPrefix,
  stripPrefix,
  toBaseName,
} from './find-prefix.ts';

describe('stripPrefix', () => {
  it('removes a whole first component only', () => {
    expect(stripPrefix('language_model.model.norm.weight', 'language_model')).toBe('model.norm.weight');
    expect(stripPrefix('language_model_x.norm', 'language_model')).toBe('language_model_x.norm');
    expect(stripPrefix('lm_head.weight', '')).toBe('lm_head.weight');
    expect(addPrefix('lm_head.weight', '')).toBe('lm_head.weight');
    expect(addPrefix('lm_head.weight', 'language_model')).toBe('language_model.lm_head.weight');
  });
});

describe('findPrefix', () => {
  const sub = ['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight'];

  it('finds the prefix under which the submodel names are in the base', () => {
    const base = [
      ...sub.map((n) => `language_model.${n}`),
      'vision_tower.a.weight',
      'multi_modal_projector.weight',
    ];
    expect(findPrefix(base, sub)).toEqual({ prefix: 'language_model', matches: 3 });
  });

  it('is "" when the names are the same', () => {
    expect(findPrefix([...sub, 'mtp.weight'], sub)).toEqual({ prefix: '', matches: 3 });
  });

  it('keeps "" on a tie, as mergekit (a prefix must do strictly better)', () => {
    // Under "model", model.norm.weight -> norm.weight matches; under "", norm.weight does.
    expect(findPrefix(['norm.weight', 'model.norm.weight', 'x.y'], ['norm.weight'])).toEqual({
      prefix: '',
      matches: 1,
    });
  });

  it('counts names left unprefixed, as mergekit, and picks the first of tied prefixes in base order', () => {
    const base = ['b.model.norm.weight', 'a.model.norm.weight', 'lm_head.weight', 'c.z'];
    expect(findPrefix(base, ['model.norm.weight', 'lm_head.weight'])).toEqual({ prefix: 'b', matches: 2 });
  });

  it('is "" with no match at all', () => {
    expect(findPrefix(['a.b', 'c.d'], ['e.f'])).toEqual({ prefix: '', matches: 0 });
  });
});

describe('findNested (beyond mergekit)', () => {
  const sub = ['model.embed_tokens.weight', 'model.layers.0.mlp.down_proj.weight', 'lm_head.weight'];
  const base = [
    'model.vision_tower.encoder.layers.0.weight',
    'model.language_model.embed_tokens.weight',
    'model.language_model.layers.0.mlp.down_proj.weight',
    'lm_head.weight',
    'model.multi_modal_projector.linear_1.weight',
  ];
  it('moves model.* under model.language_model.* and keeps the head where it is', () => {
    const m = findNested(base, sub)!;
    expect(m).toEqual({ prefix: 'model.language_model', nestedUnder: 'model' });
    expect(sub.map((s) => toBaseName(s, m))).toEqual([base[1], base[2], 'lm_head.weight']);
    expect(describeMapping(m)).toBe('model.<name> as model.language_model.<name>');
    expect(findPrefix(base, sub).matches).toBe(1); // mergekit's rule finds only lm_head
  });
  it('is undefined unless every submodel name is found', () => {
    expect(findNested(base.slice(0, 3), sub)).toBeUndefined();
    expect(findNested(base, [...sub, 'model.extra.weight'])).toBeUndefined();
  });
});
