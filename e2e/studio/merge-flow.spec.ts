/**
 * The studio as a user drives it: pick the demo base and two fine-tunes, choose TIES, set a
 * density with the slider, merge into a folder; the saved files must equal the CLI's output
 * for the recipe the YAML view shows. Then: importing YAML fills the controls, and a shared
 * link restores the recipe.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { cliReference } from '../support/cli-reference.ts';
import { REPO, startTestHub } from '../support/hub.ts';
import { Studio } from '../support/studio.ts';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flow runs once');
});

test('build a TIES merge with the controls and save it: files equal the CLI output', async ({ page }) => {
  const hub = await startTestHub();
  try {
    const studio = new Studio(page);
    await studio.stubFolderPicker('picked-ui');
    await studio.open(hub.url);
    await studio.chooseMethod(/^TIES ties/);
    await studio.addDemoModels();
    await expect(page.getByRole('radio', { name: 'Base model' }).first()).toBeChecked();
    // Density of the code model with its slider: Home is 0, each ArrowRight adds 0.01.
    const slider = page.getByRole('slider', { name: 'density of tinymix-code slider' });
    await slider.focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('spinbutton', { name: 'density of tinymix-code' })).toHaveValue('0.4');
    await page.getByRole('spinbutton', { name: 'weight of tinymix-math' }).fill('0.6');
    await expect(studio.yaml()).toHaveValue(/density: 0\.4/);
    await expect(studio.yaml()).toHaveValue(/weight: 0\.6/);
    await page.getByRole('textbox', { name: 'Output folder name' }).fill('ties-ui');
    await studio.mergeAndWait();
    const yaml = await studio.yaml().inputValue();
    expect(await studio.savedFiles('picked-ui/ties-ui')).toEqual(await cliReference(yaml, 'ties-ui'));
    await expect(page.getByRole('img', { name: /Per-layer relative change/ })).toBeVisible();
    await page.screenshot({ path: path.join(REPO, 'test-results', 'studio-merged.png'), fullPage: true });
  } finally {
    await hub.close();
  }
});

test('without a folder picker: the result’s downloads stay offered after the name box changes', async ({
  page,
}) => {
  const hub = await startTestHub();
  try {
    const studio = new Studio(page);
    await studio.withoutFolderPicker();
    await studio.open(hub.url);
    await studio.chooseMethod(/^TIES ties/);
    await studio.addDemoModels();
    const name = page.getByRole('textbox', { name: 'Output folder name' });
    // The box may be emptied while typing a new name.
    await name.fill('');
    await expect(name).toHaveValue('');
    await name.fill('demo-out');
    await studio.mergeAndWait();
    const files = page.getByRole('region', { name: 'Merge result' }).getByRole('table', { name: 'Files' });
    const rows = await files.getByRole('row').count();
    expect(rows).toBeGreaterThan(2);
    await expect(studio.downloads()).toHaveCount(rows - 1); // one per file, not the header row
    await name.fill('other-name');
    // Still offered: the result downloads from the folder it was written to, merges/demo-out.
    await expect(studio.downloads()).toHaveCount(rows - 1);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download config.json' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('config.json');
    const saved = await studio.savedFiles('merges/demo-out');
    expect(Object.keys(saved)).toContain('config.json');
    // Or all of them in one archive, which extracts to the folder written, byte for byte.
    const [archive] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download all files as demo-out.tar' }).click(),
    ]);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'e2e-tar-'));
    try {
      await archive.saveAs(path.join(dir, 'demo-out.tar'));
      execFileSync('tar', ['-xf', path.join(dir, 'demo-out.tar'), '-C', dir]);
      const extracted: Record<string, string> = {};
      for (const file of await readdir(path.join(dir, 'demo-out')))
        extracted[file] = createHash('sha256')
          .update(await readFile(path.join(dir, 'demo-out', file)))
          .digest('hex');
      expect(extracted).toEqual(saved);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await hub.close();
  }
});

test('importing a golden recipe fills the controls; out-of-range input is refused', async ({ page }) => {
  const hub = await startTestHub();
  try {
    const studio = new Studio(page);
    await studio.open(hub.url);
    const golden = await readFile(path.join(REPO, 'test-data/golden/ties-gradient/recipe.yml'), 'utf8');
    await studio.yaml().fill(golden);
    await expect(page.getByRole('radio', { name: /^TIES ties/ })).toBeChecked();
    await expect(page.getByRole('switch', { name: 'int8_mask' })).toBeChecked();
    await expect(page.getByRole('spinbutton', { name: 'weight of tinymix-code' })).toHaveValue('0.6');
    await expect(page.getByRole('spinbutton', { name: 'density of tinymix-math' })).toHaveValue('0.5');
    await expect(page.getByText('Varies by layer or tensor: gradient [0.8, 0.5, 0.3]')).toBeVisible();
    // A density above 1 cannot be entered.
    await page.getByRole('spinbutton', { name: 'density of tinymix-math' }).fill('1.5');
    await expect(
      page.getByRole('alert').filter({ hasText: 'density of tinymix-math must be at most 1' }),
    ).toBeVisible();
    await expect(studio.yaml()).toHaveValue(/density: 0\.5/);
    // Invalid YAML shows line-precise problems and keeps the recipe.
    await studio
      .yaml()
      .fill('merge_method: ties\nmodels:\n  - model: a\n    parameters: {weight: 1, densty: 0.3}\n');
    await expect(page.getByRole('list', { name: 'Recipe problems' })).toContainText(
      "line 4: models[0].parameters.densty unknown parameter 'densty'",
    );
    await expect(page.getByRole('radio', { name: /^TIES ties/ })).toBeChecked();
    await expect(page.getByRole('spinbutton', { name: 'weight of tinymix-code' })).toHaveValue('0.6');
  } finally {
    await hub.close();
  }
});

test('a shared link restores the recipe', async ({ page, context }) => {
  const hub = await startTestHub();
  try {
    const studio = new Studio(page);
    await studio.open(hub.url);
    await studio.chooseMethod(/^SLERP slerp/);
    for (const id of ['tinymix-base', 'tinymix-law']) await studio.addModel(id);
    await page
      .getByRole('region', { name: 'Recipe', exact: true })
      .getByRole('spinbutton', { name: 't', exact: true })
      .fill('0.3');
    const yaml = await studio.yaml().inputValue();
    expect(yaml).toMatch(/t: 0\.3/);
    // The URL follows the recipe a moment later (debounced): wait for this exact recipe.
    await expect.poll(() => page.url()).toContain(`recipe=${Buffer.from(yaml).toString('base64url')}`);
    const other = await context.newPage();
    await other.goto(page.url());
    await expect(new Studio(other).yaml()).toHaveValue(yaml);
    await expect(other.getByRole('radio', { name: /^SLERP slerp/ })).toBeChecked();
    expect(page.url()).not.toMatch(/token/i);
  } finally {
    await hub.close();
  }
});

/** The hash part of a share link (after #hub=…) for a recipe's text. */
const link = (yaml: string) => `&recipe=${Buffer.from(yaml).toString('base64url')}`;

test('a link to an unfinished or invalid recipe shows it; a damaged link says so; invalid YAML blocks Merge', async ({
  page,
  context,
}) => {
  const hub = await startTestHub();
  try {
    // The controls' work in progress (SLERP with only the base) comes back into the controls.
    const studio = new Studio(page);
    const wip =
      'merge_method: slerp\nbase_model: tinymix-base\nmodels:\n  - model: tinymix-base\nparameters:\n  t: 0.5\n';
    await studio.open(hub.url, link(wip));
    await expect(studio.yaml()).toHaveValue(wip);
    await expect(page.getByRole('radio', { name: /^SLERP slerp/ })).toBeChecked();
    await expect(
      page.getByRole('list', { name: 'Models in the merge' }).getByText('tinymix-base', { exact: true }),
    ).toBeVisible();
    const problems = page.getByRole('list', { name: 'Recipe problems' });
    await expect(problems).toContainText(/slerp takes exactly 1/);
    const merge = page.getByRole('button', { name: /merge$/i });
    const analyse = page.getByRole('button', { name: 'Analyse layers' });
    await expect(merge).toBeDisabled();
    await studio.addModel('tinymix-code');
    await expect(problems).toBeHidden();
    await expect(merge).toBeEnabled();
    await expect(analyse).toBeEnabled();

    // YAML typed with a mistake: Merge and Analyse wait, Export writes the text shown.
    const typo = (await studio.yaml().inputValue()).replace('  t: 0.5\n', '  t: 0.5\n  densty: 1\n');
    await studio.yaml().fill(typo);
    await expect(problems).toContainText("unknown parameter 'densty'");
    await expect(merge).toBeDisabled();
    await expect(analyse).toBeDisabled();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export YAML' }).click();
    expect(await readFile(await (await download).path(), 'utf8')).toBe(typo);

    // The same YAML in a link: the editor shows it with its problems, line numbers included.
    const other = await context.newPage();
    const second = new Studio(other);
    await second.open(hub.url, link(typo));
    await expect(second.yaml()).toHaveValue(typo);
    await expect(other.getByRole('list', { name: 'Recipe problems' })).toContainText(
      "line 8: parameters.densty unknown parameter 'densty'",
    );
    await expect(other.getByRole('button', { name: /merge$/i })).toBeDisabled();

    // A damaged link says so where the user looks.
    const third = await context.newPage();
    await new Studio(third).open(hub.url, '&recipe=%%%notbase64');
    await expect(
      third.getByRole('alert').filter({ hasText: /recipe in this link could not be read/ }),
    ).toBeVisible();
  } finally {
    await hub.close();
  }
});
