/**
 * Local model folders opened in the browser (the folder input) are read with the same reader
 * from File objects: no hub involved, and the merge equals the CLI's output.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { cliReference } from '../support/cli-reference.ts';
import { REPO, TINYMIX } from '../support/hub.ts';
import { Studio } from '../support/studio.ts';

const TORCH_BIN = path.join(REPO, 'test-data/torch-bin');

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flow runs once');
});

test('merge two folders opened from disk', async ({ page }) => {
  const studio = new Studio(page);
  await studio.stubFolderPicker('picked-local');
  // No hub is running at this address: the models can only come from the opened folders.
  await studio.open('http://127.0.0.1:9');
  const folderInput = page.getByLabel('Open a local model folder…');
  for (const name of ['tinymix-code', 'tinymix-law']) {
    await folderInput.setInputFiles(path.join(TINYMIX, name));
    await expect(page.getByRole('status').filter({ hasText: `Opened ${name}` })).toBeVisible();
  }
  const chosen = page.getByRole('list', { name: 'Models in the merge' });
  await expect(chosen.getByText(/local folder · 805\.0k params/)).toHaveCount(2);
  await page.getByRole('spinbutton', { name: 'weight of tinymix-law' }).fill('0.25');
  await page.getByRole('textbox', { name: 'Output folder name' }).fill('local-soup');
  await studio.mergeAndWait();
  const yaml = await studio.yaml().inputValue();
  expect(yaml).toMatch(/merge_method: linear/);
  expect(await studio.savedFiles('picked-local/local-soup')).toEqual(await cliReference(yaml, 'local-soup'));
});

test("folders of pytorch_model.bin checkpoints (ZIP and legacy torch.save) merge to the CLI's bytes", async ({
  page,
}) => {
  const studio = new Studio(page);
  await studio.stubFolderPicker('picked-bin');
  await studio.open('http://127.0.0.1:9');
  const folderInput = page.getByLabel('Open a local model folder…');
  for (const name of ['tinymix-code', 'tinymix-law-legacy']) {
    await folderInput.setInputFiles(path.join(TORCH_BIN, name));
    await expect(page.getByRole('status').filter({ hasText: `Opened ${name}` })).toBeVisible();
  }
  const chosen = page.getByRole('list', { name: 'Models in the merge' });
  await expect(chosen.getByText(/local folder · 805\.0k params/)).toHaveCount(2);
  await expect(chosen.getByText('· PyTorch checkpoint')).toHaveCount(2);
  await page.getByRole('spinbutton', { name: 'weight of tinymix-law-legacy' }).fill('0.4');
  await page.getByRole('textbox', { name: 'Output folder name' }).fill('bin-soup');
  await studio.mergeAndWait();
  const yaml = await studio.yaml().inputValue();
  expect(await studio.savedFiles('picked-bin/bin-soup')).toEqual(
    await cliReference(yaml, 'bin-soup', { root: TORCH_BIN }),
  );
});

test('after a reload a folder model asks to be opened again, and opening it restores it', async ({
  page,
}) => {
  const studio = new Studio(page);
  await studio.open('http://127.0.0.1:9');
  const folderInput = page.getByLabel('Open a local model folder…');
  // Keyboard focus on the hidden input shows on its label (the input itself is 1 px and clipped).
  await folderInput.focus();
  const label = page.locator('label.button-like', { hasText: 'Open a local model folder…' });
  await expect(label).toHaveCSS('outline-style', 'solid');
  // Two folders: a linear recipe of one model does not validate, and would not survive the reload.
  for (const name of ['tinymix-code', 'tinymix-law']) {
    await folderInput.setInputFiles(path.join(TINYMIX, name));
    await expect(page.getByRole('status').filter({ hasText: `Opened ${name}` })).toBeVisible();
  }
  const chosen = page.getByRole('list', { name: 'Models in the merge' });
  await expect(chosen.getByText(/local folder · 805\.0k params/)).toHaveCount(2);
  // The recipe reaches the URL a moment after the last edit (url-state.ts): wait for the one
  // with both models, not the one the first folder wrote (a reload then lost the second).
  const recipeInUrl = (): string =>
    Buffer.from(/recipe=([^&]+)/.exec(new URL(page.url()).hash)?.[1] ?? '', 'base64url').toString();
  await expect.poll(recipeInUrl).toContain('tinymix-law');
  await page.reload();
  await expect(chosen.getByText('tinymix-law was a local folder')).toBeVisible();
  await expect(chosen.getByText(/not found on/)).toHaveCount(0);
  const chooser = page.waitForEvent('filechooser');
  await chosen.getByRole('button', { name: 'Open the tinymix-law folder again…' }).click();
  await (await chooser).setFiles(path.join(TINYMIX, 'tinymix-law'));
  await expect(chosen.getByText(/local folder · 805\.0k params/)).toHaveCount(1);
  await expect(chosen.getByText(/was a local folder/)).toHaveCount(1);
  await expect(chosen.getByText('tinymix-code was a local folder')).toBeVisible();
});
