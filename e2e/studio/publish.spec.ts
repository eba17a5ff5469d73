/**
 * Publishing a merge from the studio to the local hub with uploads on: the files that land in
 * the hub's repo folder equal, byte for byte, the ones the merge saved; a cancelled publish
 * commits nothing, and publishing again finishes it. Runs once (cpu-fallback).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startTestHub } from '../support/hub.ts';
import { Studio } from '../support/studio.ts';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flow runs once');
});

async function hubFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await readdir(dir)) {
    if (name.startsWith('.')) continue;
    out[name] = createHash('sha256')
      .update(await readFile(path.join(dir, name)))
      .digest('hex');
  }
  return out;
}

async function buildTies(page: Page, studio: Studio, hubUrl: string, outputName: string): Promise<void> {
  await studio.open(hubUrl);
  await studio.chooseMethod(/^TIES ties/);
  await studio.addDemoModels();
  await page.getByRole('textbox', { name: 'Output folder name' }).fill(outputName);
  await studio.mergeAndWait();
}

test('a merge saved to a picked folder is published byte for byte; publishing again keeps the repo', async ({
  page,
}) => {
  const uploads = await mkdtemp(path.join(os.tmpdir(), 'e2e-publish-'));
  const hub = await startTestHub({ uploads: { root: uploads } });
  try {
    const studio = new Studio(page);
    await studio.stubFolderPicker('picked-pub');
    await buildTies(page, studio, hub.url, 'pub-ui');
    const panel = page.getByRole('region', { name: 'Publish to the hub' });
    const publish = panel.getByRole('button', { name: 'Publish', exact: true });
    const repo = panel.getByRole('textbox', { name: 'Repo' });
    await repo.fill('no-namespace');
    await expect(publish).toBeDisabled();
    await repo.fill('local-user/pub-ui');
    await publish.click();
    const done = panel.getByRole('status').filter({ hasText: /^Published/ });
    await expect(done).toContainText(/Published \d+ files .* to local-user\/pub-ui \(a new repo\)/);
    await expect(panel.getByRole('link', { name: 'local-user/pub-ui' })).toHaveAttribute(
      'href',
      `${hub.url}/local-user/pub-ui`,
    );
    const saved = await studio.savedFiles('picked-pub/pub-ui');
    expect(Object.keys(saved)).toContain('config.json');
    expect(await hubFiles(path.join(uploads, 'local-user/pub-ui'))).toEqual(saved);

    await publish.click();
    await expect(done).toHaveText(/Published \d+ files .* to local-user\/pub-ui\.$/);
  } finally {
    await hub.close();
    await rm(uploads, { recursive: true, force: true });
  }
});

test('without a folder picker: a cancelled publish commits nothing, and publishing again finishes', async ({
  page,
}) => {
  const uploads = await mkdtemp(path.join(os.tmpdir(), 'e2e-publish-'));
  // Every answer waits, so the publish is still under way when Cancel is clicked.
  const hub = await startTestHub({ uploads: { root: uploads }, delayMs: 150 });
  try {
    const studio = new Studio(page);
    await studio.withoutFolderPicker();
    await buildTies(page, studio, hub.url, 'pub-opfs');
    const panel = page.getByRole('region', { name: 'Publish to the hub' });
    await panel.getByRole('textbox', { name: 'Repo' }).fill('local-user/pub-opfs');
    await panel.getByRole('button', { name: 'Publish', exact: true }).click();
    await panel.getByRole('button', { name: 'Cancel publishing' }).click();
    await expect(panel.getByRole('alert')).toContainText('Publishing was cancelled: nothing was committed');
    const repoDir = path.join(uploads, 'local-user/pub-opfs');
    expect(await readdir(repoDir).catch(() => [])).not.toContain('config.json');

    await panel.getByRole('button', { name: 'Publish', exact: true }).click();
    await expect(panel.getByRole('status').filter({ hasText: /^Published/ })).toBeVisible({
      timeout: 30_000,
    });
    expect(await hubFiles(repoDir)).toEqual(await studio.savedFiles('merges/pub-opfs'));
  } finally {
    await hub.close();
    await rm(uploads, { recursive: true, force: true });
  }
});
