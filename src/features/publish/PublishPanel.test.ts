import { describe, expect, it } from 'vitest';
import { repoProblem } from './PublishPanel.tsx';

describe('repoProblem', () => {
  it('takes namespace/name and explains anything else', () => {
    expect(repoProblem('local-user/pub-ui')).toBeUndefined();
    expect(repoProblem('Org_1/model.v2-b')).toBeUndefined();
    expect(repoProblem('')).toMatch(/your-name\/model-name/);
    for (const bad of ['name', 'a/b/c', '../x', 'a/..', 'a/-b', 'a b/c', 'a/b@main', '<img>/x'])
      expect(repoProblem(bad), bad).toMatch(/letters, digits/);
  });
});
