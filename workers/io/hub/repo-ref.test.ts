import { describe, expect, it } from 'vitest';
import { SourceError } from '../source.ts';
import { isHubRepoId, parseRepoRef } from './repo-ref.ts';

describe('parseRepoRef', () => {
  it('splits org/name@revision', () => {
    expect(parseRepoRef('org/name')).toEqual({ repo: 'org/name', revision: undefined });
    expect(parseRepoRef('org/name@v1.0')).toEqual({ repo: 'org/name', revision: 'v1.0' });
    expect(parseRepoRef('tinymix-code')).toEqual({ repo: 'tinymix-code', revision: undefined });
    expect(parseRepoRef('org/name@refs/pr/1')).toEqual({ repo: 'org/name', revision: 'refs/pr/1' });
  });

  it('refuses what is not a repo id, saying how to write one', () => {
    for (const bad of ['a/b/c', '../x', 'org/..', 'org/na me', './local', '', 'org/name@', 'org/name@a b']) {
      expect(() => parseRepoRef(bad), bad).toThrow(SourceError);
      expect(isHubRepoId(bad)).toBe(false);
    }
    expect(() => parseRepoRef('a/b/c')).toThrow(/write org\/name or org\/name@revision/);
  });
});
