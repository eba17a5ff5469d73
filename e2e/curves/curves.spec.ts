/**
 * The per-layer curve editor, used as a person would: open it from a parameter, apply a preset,
 * drag an anchor with the mouse and move one with the keyboard, add a self_attn curve, and
 * read the result in the YAML view and in the per-tensor table (from the real merge plan of
 * the tinymix models a local hub serves).
 */
import path from 'node:path';
import { expect, test, type Locator } from '@playwright/test';
import type { HubServer } from '../../server/hub-server.ts';
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

async function valueOf(slider: Locator): Promise<number> {
  return Number(await slider.getAttribute('aria-valuenow'));
}

test('SLERP t: a preset, a mouse drag, the keyboard and a self_attn curve end up in the YAML', async ({
  page,
}) => {
  const studio = new Studio(page);
  await studio.open(hub.url);
  await studio.method(/^SLERP slerp/);
  await studio.addModels('tinymix-base', 'tinymix-code');
  await page.getByRole('button', { name: 'Vary t per layer…' }).click();
  const editor = studio.curveEditor;
  await expect(editor).toBeVisible();
  await expect(editor.getByRole('heading', { name: 'Per-layer curve: t' })).toBeFocused();

  await editor.getByRole('button', { name: 'Ramp up' }).click();
  await studio.expectYaml('  t: [0, 1]\n');

  // Mouse: drag the last anchor halfway down, to the middle of the two anchors' heights.
  const first = editor.getByRole('slider', { name: 't, other tensors: anchor 1 of 2' });
  const last = editor.getByRole('slider', { name: 't, other tensors: anchor 2 of 2' });
  const a = (await first.boundingBox())!;
  const b = (await last.boundingBox())!;
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, (a.y + b.y + b.height) / 2, { steps: 6 });
  await page.mouse.up();
  const dragged = await valueOf(last);
  expect(Math.abs(dragged - 0.5)).toBeLessThanOrEqual(0.02);
  await studio.expectYaml(`  t: [0, ${dragged}]\n`);

  // Keyboard: two steps up, then ten at once.
  await first.focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('PageUp');
  await expect(first).toHaveAttribute('aria-valuenow', '0.12');
  await studio.expectYaml(`  t: [0.12, ${dragged}]\n`);

  // A curve for attention weights, tried before the catch-all; it starts as a copy, then ramps down.
  await editor.getByRole('button', { name: 'Add self_attn curve' }).click();
  await expect(editor.getByRole('radio', { name: /self_attn/ })).toBeChecked();
  await editor.getByRole('button', { name: 'Ramp down' }).click();
  await studio.expectYaml(
    `  t:\n    - filter: self_attn\n      value: [1, 0]\n    - value: [0.12, ${dragged}]\n`,
  );

  // One more anchor (the line is resampled), then Delete removes it again.
  await editor.getByRole('button', { name: 'Add anchor' }).click();
  await studio.expectYaml('      value: [1, 0.5, 0]\n');
  await editor.getByRole('slider', { name: 't, self_attn: anchor 2 of 3' }).press('Delete');
  await studio.expectYaml('      value: [1, 0]\n');

  // Resolved values: per layer, and per tensor with the filter it matched (from the merge plan).
  const layers = editor.getByRole('table', { name: 'Value of each curve at each output layer' });
  await expect(layers.getByRole('row', { name: /^1 0\.6667/ })).toBeVisible();
  const groups = editor.getByRole('list', { name: 'Tensors by layer' });
  await groups.getByText(/^layer 1:/).click();
  await expect(
    groups.getByRole('row', {
      name: 'model.layers.1.self_attn.q_proj.weight 0.6667 filter self_attn · gradient · top level',
    }),
  ).toBeVisible();
  await expect(
    groups.getByRole('row', { name: /^model\.layers\.1\.mlp\.up_proj\.weight .* other tensors/ }),
  ).toBeVisible();
  await studio.docsScreenshot(path.join(REPO, 'docs/screenshots/curves.png'), editor);

  await editor.getByRole('button', { name: 'Close' }).click();
  await expect(studio.curveEditor).toHaveCount(0);
});

test('TIES density of one model: a V between typed ends, written on that model', async ({ page }) => {
  const studio = new Studio(page);
  await studio.open(hub.url);
  await studio.method(/^TIES ties/);
  await studio.addModels('tinymix-base', 'tinymix-code', 'tinymix-math');
  await page.getByRole('button', { name: 'Vary density of tinymix-code per layer…' }).click();
  const editor = studio.curveEditor;
  const low = editor.getByRole('spinbutton', { name: 'Low' });
  await low.fill('-1');
  await expect(editor.getByRole('alert')).toHaveText('Low must be at least 0');
  await low.fill('0.2');
  await editor.getByRole('button', { name: 'V', exact: true }).click();
  await studio.expectYaml(
    '  - model: tinymix-code\n    parameters:\n      weight: 1\n      density: [1, 0.2, 1]\n',
  );
  // t = 1/3 at layer 1: two thirds of the way from anchor 0 (1) to anchor 1 (0.2)
  const groups = editor.getByRole('list', { name: 'Tensors by layer' });
  await expect(
    groups.getByText('layer 1: 0.4667 (other tensors · gradient · set on the model)'),
  ).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(studio.curveEditor).toHaveCount(0);
});
