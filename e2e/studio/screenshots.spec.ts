/**
 * Screenshots of the studio's main states for the README (docs/screenshots/studio-*.png).
 * Runs only with SCREENSHOTS=1: `SCREENSHOTS=1 npx playwright test e2e/studio/screenshots.spec.ts --project=cpu-fallback`.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { REPO, startTestHub } from '../support/hub.ts';
import { Studio } from '../support/studio.ts';

const OUT = path.join(REPO, 'docs/screenshots');

test.beforeEach(() => {
  test.skip(
    !process.env['SCREENSHOTS'] || test.info().project.name !== 'cpu-fallback',
    'set SCREENSHOTS=1 to refresh',
  );
});

test('studio screenshots', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 900 });
  const hub = await startTestHub();
  try {
    const studio = new Studio(page);
    await studio.stubFolderPicker('shots');
    await studio.open(hub.url);
    await page.screenshot({ path: path.join(OUT, 'studio-start.png') });
    await studio.chooseMethod(/^TIES ties/);
    await studio.addDemoModels();
    await page.getByRole('spinbutton', { name: 'density of tinymix-code' }).fill('0.5');
    await page.getByRole('spinbutton', { name: 'density of tinymix-math' }).fill('0.5');
    await page.getByRole('searchbox', { name: 'Search models' }).fill('');
    await page.screenshot({ path: path.join(OUT, 'studio-recipe.png') });
    await page.getByRole('textbox', { name: 'Output folder name' }).fill('tinymix-ties');
    await studio.mergeAndWait();
    await page.getByRole('region', { name: 'Merge result' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, 'studio-merged.png'), fullPage: true });
    await studio
      .yaml()
      .fill('merge_method: ties\nmodels:\n  - model: a\n    parameters: {weight: 1, densty: 0.3}\n');
    await expect(page.getByRole('list', { name: 'Recipe problems' })).toBeVisible();
    await page.getByRole('list', { name: 'Recipe problems' }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(OUT, 'studio-yaml-error.png') });
  } finally {
    await hub.close();
  }
});
