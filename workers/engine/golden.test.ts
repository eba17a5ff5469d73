/** mergekit parity: every recipe of test-data/golden, by the tolerances of its README. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goldenRecipes, runGolden } from '../../scripts/lib/golden.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'golden-test-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('golden set (mergekit parity)', async () => {
  const recipes = await goldenRecipes();
  it('has all 20 recipes', () => expect(recipes).toHaveLength(20));
  for (const name of recipes) {
    it(name, async () => {
      const r = await runGolden(name, path.join(tmp, name));
      expect(r.failures).toEqual([]);
    });
  }
});
