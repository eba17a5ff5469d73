import { describe, expect, it } from 'vitest';
import { folderResolver } from '../../io/node/fs-source.ts';
import { evalText, TINYMIX } from '../test-helpers.ts';
import { greedySoup, soupRecipe } from './greedy-soup.ts';

describe('greedySoup', () => {
  it('ranks the models, then keeps each only when the uniform soup improves', async () => {
    const r = await greedySoup({
      models: ['tinymix-code-c', 'tinymix-base', 'tinymix-code', 'tinymix-code-b'],
      texts: [{ name: 'code', text: evalText('code') }],
      resolve: folderResolver(TINYMIX),
      windows: 8,
    });
    const means = r.ranking.map((m) => m.mean);
    expect(means).toEqual([...means].sort((a, b) => a - b));
    expect(r.steps.map((s) => s.model)).toEqual(r.ranking.map((m) => m.model));
    let best = r.steps[0]!.mean;
    for (const s of r.steps.slice(1)) {
      expect(s.kept).toBe(s.mean < best);
      if (s.kept) best = s.mean;
    }
    expect(r.mean).toBe(best);
    expect(r.soup[0]).toBe(r.ranking[0]!.model);
    expect(r.recipe).toEqual(soupRecipe(r.soup));
    // The base model is far worse on code than the code fine-tunes: averaging it in must not pay.
    expect(r.soup).not.toContain('tinymix-base');
  });

  it('writes the soup as a uniform linear recipe', () => {
    expect(soupRecipe(['a', 'b'], 'bfloat16')).toEqual({
      merge_method: 'linear',
      models: [
        { model: 'a', parameters: { weight: 1 } },
        { model: 'b', parameters: { weight: 1 } },
      ],
      dtype: 'bfloat16',
    });
  });
});
