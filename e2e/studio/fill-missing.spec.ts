/**
 * The Fill a bigger model tool (mergekit's fill_missing_params.py) as a user drives it: a small
 * vision-language model (sharded, with a file in a subfolder) from a local hub is filled from its
 * merged language model, opened as a local folder (workers/fill-missing/test-helpers.ts). The
 * plan, read from the headers, says which tensors come from where and refuses the two models the
 * wrong way round with the job's reason; the folder written equals, byte for byte and subfolders
 * included, that of the command the result shows: into a picked folder, and into browser
 * storage (no folder picker, both models opened as folders) with small shards, offered as
 * downloads. On a slow hub: Cancel stops within a second and leaves no config.json; a fill
 * interrupted by a reload is offered for resuming and ends with the CLI's bytes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import {
  llamaTensors,
  VL_FILES,
  vlBaseTensors,
  writeModel,
} from '../../workers/fill-missing/test-helpers.ts';
import { cliCommandReference } from '../support/cli-lora-reference.ts';
import { FillStudio } from '../support/fill-studio.ts';
import type { HubServer } from '../../server/hub-server.ts';
import { REPO, startTestHub } from '../support/hub.ts';
import { Studio } from '../support/studio.ts';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flow runs once');
});

/** A temp folder: `hub/vlm` (the hub's root) and `merged`, the language model merged. */
async function modelsRoot(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'e2e-fill-'));
  await writeModel(path.join(root, 'hub', 'vlm'), vlBaseTensors(), VL_FILES, 2);
  await writeModel(path.join(root, 'merged'), llamaTensors('merged'), {
    'config.json': '{"model_type": "llama"}',
  });
  return root;
}

interface Setup {
  /** The temp folder of modelsRoot. */
  readonly root: string;
  /** A local hub serving `root/hub` (taking uploads into `root/uploads` when asked to). */
  readonly hub: HubServer;
  readonly studio: Studio;
  readonly tool: FillStudio;
}

/** The models in a temp folder and a hub serving the base, removed once `body` ends. */
async function withModels(
  page: Page,
  hubOptions: { readonly bytesPerSecond?: number; readonly uploads?: boolean },
  body: (s: Setup) => Promise<void>,
): Promise<void> {
  const root = await modelsRoot();
  const hub = await startTestHub({
    root: path.join(root, 'hub'),
    ...(hubOptions.bytesPerSecond !== undefined && { bytesPerSecond: hubOptions.bytesPerSecond }),
    ...(hubOptions.uploads && { uploads: { root: path.join(root, 'uploads') } }),
  });
  try {
    await body({ root, hub, studio: new Studio(page), tool: new FillStudio(page) });
  } finally {
    await hub.close();
    await rm(root, { recursive: true, force: true });
  }
}

/** The CLI's folder for `args` (after `merge-studio fill-missing`), run beside copies of `merged` and `vlm`. */
const cliFiles = (root: string, args: readonly string[], out: string) =>
  cliCommandReference('fill-missing', args, out, async (dir) => {
    await cp(path.join(root, 'merged'), path.join(dir, 'merged'), { recursive: true });
    await cp(path.join(root, 'hub', 'vlm'), path.join(dir, 'vlm'), { recursive: true });
  });

/** The SHA-256 of every file under `dir` but hidden ones, by its path there. */
async function treeDigests(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/');
    if (!e.isFile() || rel.split('/').some((p) => p.startsWith('.'))) continue;
    out[rel] = createHash('sha256')
      .update(await readFile(path.join(dir, rel)))
      .digest('hex');
  }
  return out;
}

/** Opens `root/merged` (or another folder below `root`) as a local model folder. */
async function openFolder(page: Page, root: string, folder = 'merged'): Promise<void> {
  await page.getByLabel('Open a local model folder…').setInputFiles(path.join(root, folder));
  await expect(page.getByRole('status').filter({ hasText: `Opened ${path.basename(folder)}` })).toBeVisible();
}

test('fill with the form: the plan says where each tensor comes from, the files are the CLI’s, byte for byte', async ({
  page,
}) => {
  await withModels(page, { uploads: true }, async ({ root, hub, studio, tool }) => {
    await studio.stubFolderPicker('picked-fill');
    await studio.open(hub.url);
    await studio.addModel('vlm');
    await openFolder(page, root);
    await tool.show();
    await page.getByRole('button', { name: 'Use the chosen models' }).click();
    await expect(tool.base()).toHaveValue('vlm');
    await expect(tool.submodel()).toHaveValue('merged');

    await expect(tool.plan()).toContainText(
      /17 tensors from merged \(as language_model\.<name>\), 4 kept from vlm: 1 shard, [\d.]+ kB of weights\./,
    );
    await expect(
      tool.plan().getByRole('list', { name: 'Kept from the complete model' }).getByRole('listitem'),
    ).toHaveText(['vision_tower: 3 tensors', 'multi_modal_projector: 1 tensor']);
    await tool.outputName('vlm-filled');
    await tool.runButton().click();
    await expect(tool.result().getByRole('status')).toContainText(
      'vlm filled from merged written to the folder “vlm-filled”',
      { timeout: 60_000 },
    );
    await expect(tool.result().getByRole('status')).toContainText('17 tensors from merged, 4 kept from vlm');
    await expect(tool.progress()).toHaveAttribute('value', '1');
    const args = ['vlm', 'merged', '--out', 'vlm-filled', '--hub-url', hub.url];
    await expect(tool.result().getByLabel('Command line')).toHaveText(`merge-studio fill-missing ${args.join(' ')}`); // prettier-ignore
    const saved = await tool.savedTree('picked-fill/vlm-filled');
    expect(Object.keys(saved)).toContain('extra/notes.txt');
    expect(saved).toEqual(await cliFiles(root, args, 'vlm-filled'));

    // Published, the subfolder's file goes along, under its path.
    const panel = page.getByRole('region', { name: 'Publish to the hub' });
    await panel.getByRole('textbox', { name: 'Repo' }).fill('local-user/vlm-filled');
    await panel.getByRole('button', { name: 'Publish', exact: true }).click();
    await expect(panel.getByRole('status').filter({ hasText: /^Published/ })).toContainText(
      /Published \d+ files/,
    );
    expect(await treeDigests(path.join(root, 'uploads', 'local-user/vlm-filled'))).toEqual(saved);

    await page.screenshot({
      path: path.join(REPO, 'test-results', 'studio-fill-missing.png'),
      fullPage: true,
    });

    // The wrong way round: the job's own refusal, before anything runs.
    await page.getByRole('button', { name: 'Swap the two' }).click();
    await expect(tool.base()).toHaveValue('merged');
    await expect(tool.submodel()).toHaveValue('vlm');
    await expect(tool.plan()).toContainText(
      'Cannot plan this fill: merged has 17 tensors and vlm 21: the base must have more tensors than the submodel',
    );
    await tool.submodel().fill('merged');
    await expect(page.getByText('The submodel is the base itself').first()).toBeVisible();
  });
});

test('without a folder picker, both models opened as folders: small shards into browser storage, subfolders too, offered as downloads', async ({
  page,
}) => {
  await withModels(page, {}, async ({ root, hub, studio, tool }) => {
    await studio.withoutFolderPicker();
    await studio.open(hub.url);
    await openFolder(page, root);
    // The opened folder's subfolders come along (its hidden .cache/ does not, as from the command line).
    await openFolder(page, root, 'hub/vlm');
    await tool.show();
    await tool.base().fill('vlm');
    await tool.submodel().fill('merged');
    await tool.shardSize().fill('big');
    await expect(page.getByText('The shard size big is not a size').first()).toBeVisible();
    await tool.shardSize().fill('1500');
    await expect(tool.plan()).toContainText(/4 kept from vlm: [2-9] shards/);
    await tool.runButton().click();
    await expect(tool.result()).toBeVisible({ timeout: 60_000 });
    const args = ['vlm', 'merged', '--out', 'merged-filled', '--shard-size', '1500'];
    await expect(tool.result().getByLabel('Command line')).toHaveText(`merge-studio fill-missing ${args.join(' ')}`); // prettier-ignore
    await expect(tool.result().getByRole('button', { name: /Download extra\/notes\.txt/ })).toBeVisible();
    const expected = await cliFiles(root, args, 'merged-filled');
    expect(await tool.savedTree('merges/merged-filled')).toEqual(expected);
    // All the files in one archive: extracted with tar, the folder is the CLI's, subfolder included.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      tool.result().getByRole('button', { name: 'Download all files as merged-filled.tar' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('merged-filled.tar');
    const archive = path.join(root, 'merged-filled.tar');
    await download.saveAs(archive);
    await mkdir(path.join(root, 'extracted'));
    execFileSync('tar', ['-xf', archive, '-C', path.join(root, 'extracted')]);
    expect(await treeDigests(path.join(root, 'extracted', 'merged-filled'))).toEqual(expected);
  });
});

test('cancel stops within a second and leaves no config.json; a fill interrupted by a reload resumes to the CLI’s bytes', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const folder = 'picked-fill-cancel/vlm-filled';
  // A slow link: the base's headers, its vision tensors and its other files each take seconds.
  await withModels(page, { bytesPerSecond: 300 }, async ({ root, hub, studio, tool }) => {
    await studio.stubFolderPicker('picked-fill-cancel');
    await studio.open(hub.url);
    await openFolder(page, root);
    await tool.show();
    await tool.base().fill('vlm');
    await tool.submodel().fill('merged');
    await tool.shardSize().fill('1500');
    await tool.outputName('vlm-filled');
    await expect(tool.plan()).toContainText('4 kept from vlm: 4 shards', { timeout: 60_000 });

    await tool.runButton().click();
    await expect(page.getByText('reading the models’ headers…')).toBeVisible({ timeout: 60_000 });
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Filling was cancelled' })).toBeVisible();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(Object.keys(await tool.savedTree(folder))).not.toContain('config.json');

    // Again, and the tab goes away once the merged part's shards are written, while the
    // vision tower is still downloading: after the reload the fill is offered, in any tool.
    await tool.runButton().click();
    await expect
      .poll(async () => Object.keys(await tool.savedTree(folder)), { timeout: 90_000, intervals: [100] })
      .toContain('model-00001-of-00004.safetensors');
    await page.reload();
    await page.getByRole('radiogroup', { name: 'What to build' }).getByRole('radio', { name: 'Merge' }).check(); // prettier-ignore
    const banner = tool.resumeBanner();
    await expect(banner).toContainText('A fill into “vlm-filled” was interrupted');
    // A tab closed mid-write can leave Chromium's swap file beside the shard: the resume removes it.
    await tool.addFile(folder, 'model-00002-of-00004.safetensors.crswap');
    await banner.getByRole('button', { name: 'Resume fill into vlm-filled' }).click();
    await expect(page.getByRole('heading', { name: 'Fill a bigger model', level: 2 })).toBeVisible();
    await expect(tool.shardSize()).toHaveValue('1500');
    await expect(tool.result()).toBeVisible({ timeout: 120_000 });
    await expect(tool.result().getByRole('status')).toContainText('shard(s) kept from an earlier run');
    await expect(banner).toBeHidden();
    const args = [path.join(root, 'hub', 'vlm'), 'merged', '--out', 'vlm-filled', '--shard-size', '1500'];
    expect(await tool.savedTree(folder)).toEqual(await cliFiles(root, args, 'vlm-filled'));
  });
});
