/**
 * The Extract LoRA tool as a user drives it, against the local demo hub: choose tinymix-base
 * and tinymix-code in the picker, switch to "Extract LoRA", set a small rank, check the
 * header-only plan, extract into a picked folder (an OPFS folder stands in for the picker);
 * the files must equal, byte for byte, those of the command the result shows
 * (`merge-studio extract-lora ... --hub-url HUB`, the same hub), and the adapter's weights and
 * config those of `merge-studio extract-lora ... --models test-data/tinymix`. Then, on a slow
 * hub: Cancel stops within a second and leaves no adapter_config.json (an earlier adapter's is
 * gone too) but the engine's checkpoint; extracting again into the folder resumes from it; a
 * reload mid-run offers the extraction for resuming (in any tool), and resuming computes only
 * the modules left and writes the CLI's bytes. And the page's link: a reload
 * keeps the settings and the tool, the copied link is the settings' without the token, and
 * Recent recipes brings them back.
 */
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { cliLoraReference } from '../support/cli-lora-reference.ts';
import { REPO, startTestHub, TINYMIX } from '../support/hub.ts';
import { LoraStudio } from '../support/lora-studio.ts';
import { Studio } from '../support/studio.ts';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flow runs once');
});

/** Untrusted text stays text: a pattern that looks like markup is a pattern (it matches no module). */
const MARKUP = '<img src=x onerror=alert(1)>';

/** The adapter's files but the model card, whose command line names where the models came from. */
const weightsAndConfig = (files: Record<string, string>) => ({
  'adapter_model.safetensors': files['adapter_model.safetensors'],
  'adapter_config.json': files['adapter_config.json'],
});

test('extract a rank-8 adapter with the form: the files are the CLI’s, byte for byte', async ({ page }) => {
  const hub = await startTestHub();
  try {
    const studio = new Studio(page);
    const lora = new LoraStudio(page);
    await studio.stubFolderPicker('picked-lora');
    await studio.open(hub.url);
    for (const id of ['tinymix-base', 'tinymix-code']) await studio.addModel(id);
    await lora.show();
    await expect(page.getByRole('radiogroup', { name: 'Merge method' })).toBeHidden();
    await page.getByRole('button', { name: 'Use the chosen models' }).click();
    await expect(lora.base()).toHaveValue('tinymix-base');
    await expect(lora.model()).toHaveValue('tinymix-code');
    await lora.maxRank().fill('8');

    // A bad pattern is said at its field, and Extract waits; no crash, no plan.
    await lora.list('Include patterns').fill('(');
    await expect(page.getByRole('alert').filter({ hasText: 'Include pattern 1, (, is not a regular expression' })).toBeVisible(); // prettier-ignore
    await expect(lora.extractButton()).toBeDisabled();
    await lora.list('Include patterns').fill('');
    await lora.list('Exclude patterns').fill(MARKUP);

    // The plan, from the headers: 4 layers x 7 Linear modules; embeddings, head and 9 norms whole.
    await expect(lora.plan()).toContainText(
      /28 modules decomposed \(rank 8\), 11 saved whole, 0 left out: adapter_model\.safetensors about [\d.]+ kB\./,
    );
    await lora.plan().getByText('Saved whole (11)').click();
    await expect(lora.plan().getByRole('list', { name: 'Saved whole' })).toContainText(
      'model.embed_tokens (embedding)',
    );

    await lora.outputName('code-lora');
    await lora.extractButton().click();
    await expect(lora.result()).toBeVisible({ timeout: 60_000 });
    await expect(lora.result().getByRole('status')).toContainText(
      'A LoRA adapter of tinymix-code over tinymix-base (r = 8) written to the folder “code-lora”',
    );
    await expect(lora.progress()).toHaveAttribute('value', '1');
    const files = lora.result().getByRole('table', { name: 'Files' });
    for (const f of ['adapter_model.safetensors', 'adapter_config.json', 'README.md'])
      await expect(files.getByRole('cell', { name: f, exact: true })).toBeVisible();
    await lora.result().getByText('Ranks: 28 at rank 8').click();
    await expect(lora.result().getByRole('table', { name: 'Rank per module' })).toContainText('model.layers.0.self_attn.k_proj64×1288'); // prettier-ignore
    await expect(lora.result().getByText('tinymix-base+code-lora', { exact: true })).toBeVisible();

    const args = ['--model', 'tinymix-code', '--base', 'tinymix-base', '--out', 'code-lora', '--max-rank', '8', '--exclude-regex', MARKUP]; // prettier-ignore
    const command = `merge-studio extract-lora ${args.slice(0, -1).join(' ')} '${MARKUP}' --hub-url ${hub.url}`;
    await expect(lora.result().getByLabel('Command line')).toHaveText(command);
    const saved = await studio.savedFiles('picked-lora/code-lora');
    expect(saved).toEqual(await cliLoraReference([...args, '--hub-url', hub.url], 'code-lora'));
    expect(weightsAndConfig(saved)).toEqual(
      weightsAndConfig(await cliLoraReference(['--models', TINYMIX, ...args], 'code-lora')),
    );
    expect(await page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    await page.screenshot({ path: path.join(REPO, 'test-results', 'studio-lora.png'), fullPage: true });

    // Straight into a merge: the written folder opens as an adapter, base+adapter joins the recipe.
    await lora.result().getByRole('button', { name: 'Add tinymix-base+code-lora to the merge' }).click();
    await expect(page.getByRole('radiogroup', { name: 'Merge method' })).toBeVisible();
    await expect(studio.yaml()).toHaveValue(/- model: tinymix-base\+code-lora\n/);
  } finally {
    await hub.close();
  }
});

/** Writes an earlier adapter's files into an OPFS folder, as a reused output folder holds them. */
async function earlierAdapter(page: Page, folder: string): Promise<void> {
  await page.evaluate(async (where) => {
    let dir = await navigator.storage.getDirectory();
    for (const p of where.split('/')) dir = await dir.getDirectoryHandle(p, { create: true });
    for (const name of ['adapter_config.json', 'adapter_model.safetensors']) {
      const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await w.write('{"earlier": true}');
      await w.close();
    }
  }, folder);
}

/**
 * The extraction's checkpoint in an OPFS folder (workers/lora-extract/checkpoint.ts): how many
 * parts it wrote and the modules they hold (none before its state file is there).
 */
async function checkpoint(page: Page, folder: string): Promise<{ parts: number; modules: number }> {
  return page.evaluate(async (where) => {
    let dir = await navigator.storage.getDirectory();
    for (const p of where.split('/')) dir = await dir.getDirectoryHandle(p, { create: true });
    const file = await dir.getFileHandle('.merge-studio-lora-job.json').catch(() => undefined);
    const state = file ? (JSON.parse(await (await file.getFile()).text()) as Record<string, unknown[]>) : {};
    return { parts: state['parts']?.length ?? 0, modules: state['modules']?.length ?? 0 };
  }, folder);
}

test('cancel stops within a second and leaves no adapter_config.json; extracting again resumes, and so does an extraction interrupted by a reload: only the modules left are computed, to the CLI’s bytes', async ({
  page,
}) => {
  test.setTimeout(240_000);
  // A slow link: the 28 modules' weights (about 3 MB) take about a minute. The engine writes a
  // checkpoint part 20 s after the last (workers/lora-extract/checkpoint.ts), so each of the
  // two runs stopped below waits for one first, and they leave about a third of the modules
  // for the third run.
  let hub = await startTestHub({ bytesPerSecond: 50_000 });
  const folder = 'picked-lora-cancel/code-lora';
  const parts = async () => (await checkpoint(page, folder)).parts;
  try {
    const studio = new Studio(page);
    const lora = new LoraStudio(page);
    await studio.stubFolderPicker('picked-lora-cancel');
    await studio.open(hub.url);
    await lora.show();
    await lora.model().fill('tinymix-code');
    await lora.base().fill('tinymix-base');
    await lora.maxRank().fill('4');
    await lora.outputName('code-lora');
    await earlierAdapter(page, folder);
    // The plan has read the headers: the extraction has the link to itself.
    await expect(lora.plan()).toContainText('28 modules decomposed (rank 4)', { timeout: 30_000 });

    await lora.extractButton().click();
    await expect(page.getByText(/[1-9]\d* of 28 modules/)).toBeVisible({ timeout: 60_000 });
    await expect.poll(parts, { timeout: 60_000 }).toBe(1);
    const first = await checkpoint(page, folder);
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'The extraction was cancelled' })).toBeVisible();
    // The worker is ended a second after Cancel at the latest; the rest is the test's polling.
    expect(Date.now() - t0).toBeLessThan(1500);
    const partial = await studio.savedFiles(folder);
    expect(Object.keys(partial)).not.toContain('adapter_config.json');
    expect(Object.keys(partial)).not.toContain('README.md');
    expect(Object.keys(partial)).toContain('.merge-studio-lora-job.json');

    // Extracting again into the folder resumes: the first part is kept and a second one follows
    // (a run that started over would have removed it and written its own first part).
    await lora.extractButton().click();
    await expect.poll(parts, { timeout: 60_000 }).toBe(2);
    const second = await checkpoint(page, folder);
    expect(second.modules).toBeGreaterThan(first.modules);

    // The tab goes away mid-run: after the reload the extraction is offered, in any tool.
    await page.reload();
    await page
      .getByRole('radiogroup', { name: 'What to build' })
      .getByRole('radio', { name: 'Merge' })
      .check();
    const banner = lora.resumeBanner();
    await expect(banner).toContainText('An extraction into “code-lora” was interrupted');
    await banner.getByRole('button', { name: 'Resume extraction into code-lora' }).click();
    await expect(page.getByRole('heading', { name: 'Extract LoRA', level: 2 })).toBeVisible();
    await expect(lora.maxRank()).toHaveValue('4');
    await expect(lora.result()).toBeVisible({ timeout: 120_000 });
    await expect(banner).toBeHidden();

    // Only the modules left were decomposed: the result and the log say how many were resumed.
    const status = lora.result().getByRole('status');
    await expect(status).toContainText(/28 modules decomposed \(\d+ of them resumed from an earlier run\)/);
    const resumed = Number(/\((\d+) of them resumed/.exec(await status.innerText())![1]);
    expect(resumed).toBeGreaterThanOrEqual(second.modules);
    expect(resumed).toBeLessThan(28);
    const log = (await lora.log().textContent()) ?? '';
    expect(log).toContain(`resume: ${resumed} of 28 modules were extracted by an earlier run`);
    expect(log.match(/^\[\d+\/28\] /gm)).toHaveLength(28 - resumed);

    // The CLI's files, the checkpoint gone. The model card names the hub: the CLI reads one at
    // the same address, at full speed.
    const saved = await studio.savedFiles(folder);
    await hub.close();
    hub = await startTestHub({ port: hub.port });
    const args = ['--model', 'tinymix-code', '--base', 'tinymix-base', '--out', 'code-lora', '--max-rank', '4', '--hub-url', hub.url]; // prettier-ignore
    expect(saved).toEqual(await cliLoraReference(args, 'code-lora'));
  } finally {
    await hub.close();
  }
});

test('a reload keeps the settings and the tool; the plan says what is wrong; the link is the settings’, without the token', async ({
  page,
  context,
}) => {
  const hub = await startTestHub();
  const token = 'hf_loralinktokenloralink';
  try {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const studio = new Studio(page);
    const lora = new LoraStudio(page);
    await studio.open(hub.url);
    await page.getByLabel('Access token (gated or private models)').fill(token);
    await lora.show();
    await expect(lora.plan()).toContainText('Once both models are named');
    await lora.model().fill('tinymix-code');
    await lora.base().fill('tinymix-base');
    await lora.maxRank().fill('8');
    await expect(lora.plan()).toContainText('28 modules decomposed (rank 8)');

    // What only the headers tell: a module that does not exist, then what the patterns leave out.
    await lora.list('Save modules').fill('attention');
    await expect(lora.plan()).toContainText(
      'Cannot plan this extraction: --save-module attention: tinymix-code has no module named so',
    );
    await lora.list('Save modules').fill('');
    await lora.list('Include patterns').fill('self_attn');
    await page.getByRole('checkbox', { name: 'Skip undecomposable' }).check();
    await expect(lora.plan()).toContainText('16 modules decomposed (rank 8), 2 saved whole, 21 left out');
    await lora.plan().getByText('Left out (21)').click();
    await expect(lora.plan().getByRole('list', { name: 'Left out' })).toContainText(
      'model.layers.0.mlp.down_proj (not selected)',
    );

    await expect.poll(() => page.url()).toContain('mode=lora');
    await expect.poll(() => page.url()).toContain('lora=');
    expect(page.url()).not.toContain(token);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Extract LoRA', level: 2 })).toBeVisible();
    await expect(lora.model()).toHaveValue('tinymix-code');
    await expect(lora.list('Include patterns')).toHaveValue('self_attn');
    await expect(page.getByRole('checkbox', { name: 'Skip undecomposable' })).toBeChecked();
    await expect(lora.plan()).toContainText('16 modules decomposed (rank 8)');

    await page.getByRole('button', { name: 'Copy link to these LoRA settings' }).click();
    await expect(page.getByRole('button', { name: 'Link copied' })).toBeVisible();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain('mode=lora');
    expect(copied).not.toContain('recipe=');
    expect(copied).not.toContain(token);
    const other = await context.newPage();
    await other.goto(copied);
    await expect(new LoraStudio(other).base()).toHaveValue('tinymix-base');
    await expect(new LoraStudio(other).list('Include patterns')).toHaveValue('self_attn');
    await other.close();

    // Opened by link, the settings are under Recent recipes; from Merge mode a click brings them back.
    await lora.list('Include patterns').fill('');
    await page
      .getByRole('radiogroup', { name: 'What to build' })
      .getByRole('radio', { name: 'Merge' })
      .check();
    await page.getByText('Recent recipes').click();
    await page.getByRole('button', { name: 'LoRA (max rank 8): tinymix-code − tinymix-base' }).click();
    await expect(page.getByRole('heading', { name: 'Extract LoRA', level: 2 })).toBeVisible();
    await expect(lora.list('Include patterns')).toHaveValue('self_attn');
  } finally {
    await hub.close();
  }
});
