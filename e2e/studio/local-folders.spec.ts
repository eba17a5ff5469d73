/**
 * Local model folders opened in the browser (the folder input) are read with the same reader
 * from File objects: no hub involved, and the merge equals the CLI's output.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { cliReference } from '../support/cli-reference.ts';
import { TINYMIX } from '../support/hub.ts';
import { Studio } from '../support/studio.ts';

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
