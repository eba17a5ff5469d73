/**
 * Sweeps and previews hold `base+adapter` models adapted in memory: evaluating the model as it
 * is and merging it alone (linear, weight 1) give the same losses, unlike the bare base.
 */
import { describe, expect, it } from 'vitest';
import { blobModelSource } from '../../io/memory.ts';
import { folderResolver } from '../../io/node/fs-source.ts';
import { adapterFiles, BASE_CONFIG, linearPair } from '../../io/lora/test-helpers.ts';
import type { ModelResolver } from '../../io/source.ts';
import { loadRecipe } from '../../plan/recipe-yaml.ts';
import { evalText, TINYMIX } from '../test-helpers.ts';
import { EvalSession } from './eval-session.ts';

const lora = adapterFiles(
  BASE_CONFIG,
  [0, 1, 2, 3].flatMap((l) => [
    ...linearPair(`model.layers.${l}.self_attn.q_proj`, 2, 128, 128, 'F32', l),
    ...linearPair(`model.layers.${l}.self_attn.v_proj`, 2, 128, 64, 'F32', l + 10),
  ]),
);
const folders = folderResolver(TINYMIX);
const resolve: ModelResolver = (id, signal) =>
  id === 'lora' ? Promise.resolve(blobModelSource(id, lora)) : folders(id, signal);

describe('EvalSession with base+adapter', () => {
  it('evaluates the adapted model, as it is and merged alone', async () => {
    const texts = [{ name: 'code', text: evalText('code') }];
    const session = await EvalSession.open(['tinymix-base', 'tinymix-base+lora'], resolve, texts, {
      windows: 2,
    });
    const asIs = await session.evaluateModel('tinymix-base+lora');
    const { recipe } = loadRecipe(
      'merge_method: linear\nmodels:\n  - model: tinymix-base+lora\n    parameters: {weight: 1}\ndtype: bfloat16\n',
    );
    expect(await session.evaluateRecipe(recipe)).toEqual(asIs);
    expect((await session.evaluateModel('tinymix-base'))[0]!.loss).not.toBe(asIs[0]!.loss);
  }, 60_000);
});
