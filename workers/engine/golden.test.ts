/** mergekit parity: every recipe of test-data/golden, by the tolerances of its README. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goldenRecipes, runGolden } from '../../scripts/lib/golden.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'golden-test-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

/**
 * Recipes whose output equals mergekit's bit for bit outside the tie lists (and, for sce, the
 * tensors whose weights the ties move, which carry an rtol of their own): methods computed in
 * torch's float32 steps (the weighted sums and the sign consensus: workers/simd/combine.ts;
 * sce's mean-square weights, model_stock's and multislerp's norms and dot products summed in torch's order:
 * workers/methods/shared/torch-sum.ts), not float64 ones.
 */
const BIT_EXACT = new Set([
  'linear-soup',
  'task-arithmetic-negation',
  'breadcrumbs',
  'ties-gradient',
  'breadcrumbs-ties-small-gamma',
  'ram',
  'ramplus-tl',
  'arcee-fusion',
  'nearswap-slice-params',
  'sce',
  'model-stock',
  'multislerp',
]);

describe('golden set (mergekit parity)', async () => {
  const recipes = await goldenRecipes();
  it('has all 20 recipes', () => expect(recipes).toHaveLength(20));
  for (const name of recipes) {
    it(name, async () => {
      const r = await runGolden(name, path.join(tmp, name));
      expect(r.failures).toEqual([]);
      if (BIT_EXACT.has(name)) expect(r.worstPinned, 'bit-exact outside the tie lists').toBe(0);
    });
  }
});
