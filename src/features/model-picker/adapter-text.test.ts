/** The adapter box's text read as the recipe validator reads `base+adapter` references. */
import { describe, expect, it } from 'vitest';
import { adapterParts, adapterProblem, withAdapter } from './adapter-text.ts';

describe('adapterParts', () => {
  it('splits base+adapter, and nothing else', () => {
    expect(adapterParts('org/base@v1+org/lora@v2')).toEqual({ base: 'org/base@v1', adapter: 'org/lora@v2' });
    expect(adapterParts('org/base')).toBeUndefined();
    expect(adapterParts('a+b+c')).toBeUndefined();
    expect(adapterParts('a+')).toBeUndefined();
  });
});

describe('adapterProblem', () => {
  const taken = ['org/base', 'org/code', 'org/code+org/other'];
  it('accepts a repo, a revision and a folder name, trimmed', () => {
    expect(adapterProblem('org/code', ' org/lora@main ', taken)).toBeUndefined();
    expect(withAdapter('org/code', ' org/lora@main ')).toBe('org/code+org/lora@main');
    expect(adapterProblem('org/code', 'my-lora', taken)).toBeUndefined();
  });

  it('says what the validator says of a second + or @, and asks for a name when empty', () => {
    expect(adapterProblem('org/code', 'a+b', taken)).toMatch(/'org\/code\+a\+b' has more than one '\+'/);
    expect(adapterProblem('org/code', 'org/lora@a@b', taken)).toMatch(
      /has more than one '@' in 'org\/lora@a@b'/,
    );
    expect(adapterProblem('org/code', '  ', taken)).toMatch(/^name an adapter/);
  });

  it('refuses an id the recipe has already', () => {
    expect(adapterProblem('org/code', 'org/other', taken)).toBe('org/code+org/other is in the merge already');
  });
});
