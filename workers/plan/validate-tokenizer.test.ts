import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { YamlPath } from './problems.ts';
import { checkTokenizer } from './validate-tokenizer.ts';

function check(yaml: string) {
  const problems: { path: YamlPath; message: string }[] = [];
  const choice = checkTokenizer(parse(yaml) as Record<string, unknown>, (path, message) =>
    problems.push({ path, message }),
  );
  return { choice, problems };
}

describe('tokenizer: as a recipe states it', () => {
  it('keeps every token key, __proto__ and constructor included', () => {
    const { choice, problems } = check(
      'tokenizer:\n  tokens:\n    __proto__: {source: {kind: zero}}\n    constructor: {source: a}\n',
    );
    expect(problems).toEqual([]);
    const tokens = choice.tokenizer!.tokens!;
    expect(Object.keys(tokens)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(tokens)).toBe(Object.prototype);
    expect(tokens['__proto__']).toEqual({ source: { kind: 'zero' } });
  });

  it('quotes an unknown source kind, cut short', () => {
    const long = 'k'.repeat(100_000);
    const { problems } = check(`tokenizer:\n  tokens:\n    a: {source: {kind: ${long}}}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message.length).toBeLessThan(200);
    expect(problems[0]!.message).toMatch(
      /^kind must be zero or model_token, not "k+"… \(100000 characters\)$/,
    );
    const obj = check('tokenizer:\n  tokens:\n    a: {source: {kind: [1, 2]}}\n');
    expect(obj.problems[0]!.message).toBe('kind must be zero or model_token, not object');
  });
});
