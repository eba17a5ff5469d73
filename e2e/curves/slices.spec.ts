/**
 * The slices editor, used as a person would: a two-slice passthrough frankenmerge of the tinymix
 * models a local hub serves, checked in the YAML view and in the output layer stack.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import type { HubServer } from '../../server/hub-server.ts';
import { layerShuffleRecipe } from '../../workers/generators/layershuffle.ts';
import { recipeToYaml } from '../../workers/plan/recipe-yaml.ts';
import { REPO, startTestHub } from '../support/hub.ts';
import { Studio } from './studio.ts';

let hub: HubServer;
test.beforeAll(async () => {
  hub = await startTestHub();
});
test.afterAll(async () => {
  await hub.close();
});
test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'UI only: one browser project is enough');
});

test('a two-slice passthrough frankenmerge: YAML and layer stack', async ({ page }) => {
  const studio = new Studio(page);
  await studio.open(hub.url);
  await studio.method(/^Passthrough passthrough/);
  await studio.addModels('tinymix-code', 'tinymix-math');
  const editor = studio.slicesEditor;
  await editor.getByRole('button', { name: 'Use layer slices' }).click();
  // passthrough: one slice per model, over all its layers
  await studio.expectYaml(
    'slices:\n  - sources:\n      - model: tinymix-code\n        layer_range: [0, 4]\n  - sources:\n      - model: tinymix-math\n        layer_range: [0, 4]\n',
  );

  await editor.getByRole('spinbutton', { name: 'To layer, excluded (source 1 of slice 1)' }).fill('3');
  const from2 = editor.getByRole('spinbutton', { name: 'From layer (source 1 of slice 2)' });
  await from2.fill('4');
  await expect(editor.getByRole('alert')).toHaveText(
    'From layer must be at most 3 (the range needs at least one layer)',
  );
  await from2.fill('2');
  await studio.expectYaml(
    'merge_method: passthrough\nslices:\n  - sources:\n      - model: tinymix-code\n        layer_range: [0, 3]\n  - sources:\n      - model: tinymix-math\n        layer_range: [2, 4]\n',
  );

  const stack = editor.getByRole('table', { name: /^Output layer stack: 5 layers/ });
  await expect(stack.getByRole('row')).toHaveText([
    'OutputFrom',
    'layers 0–2tinymix-code layers 0–2',
    'layers 3–4tinymix-math layers 2–3',
  ]);
  await expect(editor.getByRole('img', { name: 'Output layer stack, 5 layers' })).toBeVisible();
  await expect(editor.getByRole('listitem', { name: 'Slice 2' }).getByRole('heading')).toHaveText(
    'Slice 2 → output layers 3–4',
  );
  await studio.docsScreenshot(path.join(REPO, 'docs/screenshots/slices.png'), editor);

  // A third slice continues where the second stopped; moved up, it changes the stack's order.
  await editor.getByRole('button', { name: 'Add slice' }).click();
  await expect(editor.getByRole('table', { name: /^Output layer stack: 7 layers/ })).toBeVisible();
  await editor.getByRole('button', { name: 'Move slice 3 up' }).click();
  await editor.getByRole('button', { name: 'Remove slice 2' }).click();
  await expect(
    editor.getByRole('table', { name: /^Output layer stack: 5 layers/ }).getByRole('row'),
  ).toHaveText(['OutputFrom', 'layers 0–2tinymix-code layers 0–2', 'layers 3–4tinymix-math layers 2–3']);

  // Back to whole models: the ranges are dropped, and the button says so.
  await editor.getByRole('button', { name: 'Use whole models (drops the layer ranges)' }).click();
  await studio.expectYaml('models:\n  - model: tinymix-code\n  - model: tinymix-math\n');
});

test('shuffle layers: the draw of merge-studio layershuffle with the same seed', async ({ page }) => {
  const studio = new Studio(page);
  await studio.open(hub.url);
  await studio.method(/^Passthrough passthrough/);
  await studio.addModels('tinymix-code', 'tinymix-math');
  const editor = studio.slicesEditor;
  await editor.getByText('Shuffle layers (random stack)').click();
  const models = [
    { id: 'tinymix-code', layers: 4 },
    { id: 'tinymix-math', layers: 4 },
  ];
  const drawn = (seed: number, extra: { weights?: number[]; fullRandom?: boolean } = {}) =>
    recipeToYaml(layerShuffleRecipe({ models, seed, ...extra })).replace('merge_method: passthrough\n', '');
  await editor.getByRole('spinbutton', { name: 'Seed' }).fill('9');
  await editor.getByRole('button', { name: 'Draw with seed 9' }).click();
  await studio.expectYaml(drawn(9));
  await editor.getByRole('button', { name: 'Shuffle again' }).click();
  await studio.expectYaml(drawn(10));
  // Weights and full random, as --weight and --full-random.
  await editor.getByRole('checkbox', { name: 'Full random (layer indices too)' }).check();
  await editor.getByRole('spinbutton', { name: 'tinymix-math', exact: true }).fill('1');
  await editor.getByRole('button', { name: 'Draw with seed 10' }).click();
  await studio.expectYaml(drawn(10, { weights: [0.5, 1], fullRandom: true }));
  await expect(editor.getByRole('table', { name: /^Output layer stack: 6 layers/ })).toBeVisible();
  await editor.getByRole('spinbutton', { name: 'tinymix-code', exact: true }).fill('0');
  await editor.getByRole('spinbutton', { name: 'tinymix-math', exact: true }).fill('0');
  await editor.getByRole('button', { name: 'Shuffle again' }).click();
  await expect(editor.getByRole('alert')).toHaveText(/every weight is 0/);
});
