/**
 * Tokenizer merging as a user drives it: a chat fine-tune with two added tokens (tinymix-chat,
 * scripts/lib/chat-fixture.ts) merged with the demo base and the code model, "Union of all
 * models' tokens" and the "auto" chat template chosen in the run panel, whose plan says what
 * the union adds before the merge; the saved folder must equal the CLI's output for the recipe
 * the YAML view shows.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { writeChatModel } from '../../scripts/lib/chat-fixture.ts';
import { cliReference } from '../support/cli-reference.ts';
import { REPO, startTestHub, TINYMIX } from '../support/hub.ts';
import { Studio } from '../support/studio.ts';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flow runs once');
});

test('a tokenizer union with a chat fine-tune, chosen in the run panel: files equal the CLI output', async ({
  page,
}) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'e2e-chat-'));
  for (const id of ['tinymix-base', 'tinymix-code'])
    await cp(path.join(TINYMIX, id), path.join(root, id), { recursive: true });
  await writeChatModel(root);
  const hub = await startTestHub({ root });
  try {
    const studio = new Studio(page);
    await studio.stubFolderPicker('picked-tok');
    await studio.open(hub.url);
    await studio.chooseMethod(/^TIES ties/);
    for (const id of ['tinymix-base', 'tinymix-code', 'tinymix-chat']) await studio.addModel(id);
    await page.getByLabel('Tokenizer', { exact: true }).selectOption('union');
    // The run panel's plan says what the union adds before anything is merged.
    const plan = page.getByRole('region', { name: 'Plan', exact: true });
    await expect(plan.getByRole('list', { name: 'Plan warnings' })).toContainText(
      '2 token(s) added to the tokenizer',
    );
    await expect(plan).toContainText('vocabulary 260 → 262 tokens');
    await page.getByLabel('Chat template').selectOption('auto');
    await expect(studio.yaml()).toHaveValue(/tokenizer_source: union/);
    await expect(studio.yaml()).toHaveValue(/chat_template: auto/);
    await page.getByRole('textbox', { name: 'Output folder name' }).fill('chat-union');
    await studio.mergeAndWait();
    const yaml = await studio.yaml().inputValue();
    const saved = await studio.savedFiles('picked-tok/chat-union');
    expect(saved).toEqual(await cliReference(yaml, 'chat-union', { root }));
    expect(Object.keys(saved)).toContain('tokenizer.json');
    await page.getByLabel('Tokenizer', { exact: true }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(REPO, 'test-results', 'studio-tokenizer.png') });
  } finally {
    await hub.close();
    await rm(root, { recursive: true, force: true });
  }
});
