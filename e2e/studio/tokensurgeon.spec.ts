/**
 * The Transplant tokenizer tool (mergekit-tokensurgeon) as a user drives it: tinymix-base from
 * the local hub gets the tokenizer of a small SentencePiece-style donor opened as a local folder
 * (workers/tokensurgeon/test-helpers.ts), the merge's compatibility report leading there. The plan, read from the tokenizers, refuses the
 * default k (more than the 30 shared tokens) with the run's reason, then counts what a smaller k
 * does; the folder written equals, byte for byte, that of the command the result shows (omp,
 * then subword, which runs the model's tokenizer in the worker); mp_rope's plan refuses a donor
 * whose config has no attention heads. On a
 * slow hub: Cancel stops within a second and leaves no config.json; a run interrupted by a
 * reload is offered for resuming, in any tool, and ends with the same bytes.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { donorFiles } from '../../workers/tokensurgeon/test-helpers.ts';
import { cliCommandReference } from '../support/cli-lora-reference.ts';
import { REPO, startTestHub, TINYMIX } from '../support/hub.ts';
import { Studio } from '../support/studio.ts';
import { SurgeryStudio } from '../support/surgery-studio.ts';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flow runs once');
});

const DONOR = 'sp-donor';

/** A temp folder holding the donor's folder. */
async function donorRoot(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'e2e-surgery-'));
  await mkdir(path.join(root, DONOR));
  for (const [name, bytes] of donorFiles()) await writeFile(path.join(root, DONOR, name), bytes);
  return root;
}

/** The CLI's folder for `args` (after `merge-studio tokensurgeon`), run beside a copy of the donor. */
const cliFiles = (root: string, args: readonly string[], out: string) =>
  cliCommandReference('tokensurgeon', args, out, (dir) =>
    cp(path.join(root, DONOR), path.join(dir, DONOR), { recursive: true }),
  );

async function openDonor(page: Page, root: string): Promise<void> {
  await page.getByLabel('Open a local model folder…').setInputFiles(path.join(root, DONOR));
  await expect(page.getByRole('status').filter({ hasText: `Opened ${DONOR}` })).toBeVisible();
}

test('transplant with the form: the plan counts the tokens, the files are the CLI’s, byte for byte', async ({
  page,
}) => {
  const root = await donorRoot();
  const hub = await startTestHub();
  try {
    const studio = new Studio(page);
    const tool = new SurgeryStudio(page);
    await studio.stubFolderPicker('picked-surgery');
    await studio.open(hub.url);
    await studio.addModel('tinymix-base');
    await openDonor(page, root);
    // The merge's compatibility report offers the base's tokenizer to the model whose vocabulary differs.
    await page.getByRole('button', { name: `Give ${DONOR} the tokenizer of tinymix-base` }).click();
    await expect(page.getByRole('heading', { name: 'Transplant tokenizer', level: 2 })).toBeVisible();
    await expect(tool.model()).toHaveValue(DONOR);
    await expect(tool.donor()).toHaveValue('tinymix-base');
    await page.getByRole('button', { name: 'Use the chosen models' }).click();
    await expect(tool.model()).toHaveValue('tinymix-base');
    await expect(tool.donor()).toHaveValue(DONOR);

    // mergekit's default k is more than the two vocabularies share: said before anything runs.
    await expect(tool.plan()).toContainText(
      'Cannot plan this transplant: -k 64 is more than the 30 tokens the two vocabularies share',
    );
    await tool.k().fill('8');
    await expect(tool.plan()).toContainText(
      /Vocabulary 260 → 35 tokens \(the donor’s has 35\) \(hidden size 128; the donor’s is 16\): 39 tensors in 1 shard, [\d.]+ MB; the embeddings held while it runs: [\d.]+ kB\./,
    );
    await expect(tool.plan().getByRole('list', { name: 'Rebuilt matrices' })).toContainText(
      'model.embed_tokens.weight: 30 exact, 5 to approximate (35 in all); 30 shared tokens to build from',
    );

    await tool.outputName('base-sp');
    await tool.runButton().click();
    await expect(tool.result()).toBeVisible({ timeout: 60_000 });
    await expect(tool.result().getByRole('status')).toContainText(
      `tinymix-base with ${DONOR}’s tokenizer (35 tokens) written to the folder “base-sp”`,
    );
    await expect(tool.progress()).toHaveAttribute('value', '1');
    const args = ['tinymix-base', DONOR, 'base-sp', '-k', '8', '--hub-url', hub.url];
    await expect(tool.result().getByLabel('Command line')).toHaveText(`merge-studio tokensurgeon ${args.join(' ')}`); // prettier-ignore
    const saved = await studio.savedFiles('picked-surgery/base-sp');
    expect(Object.keys(saved).sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']); // prettier-ignore
    expect(saved).toEqual(await cliFiles(root, args, 'base-sp'));

    // subword cuts each new token's text with the model's own tokenizer, in the worker too.
    await tool.method().selectOption('subword');
    await page.getByRole('combobox', { name: 'Subword method' }).selectOption('weighted_mean');
    await expect(tool.k()).toBeHidden();
    // subword builds nothing from the shared tokens: the plan no longer counts them.
    const rebuilt = tool.plan().getByRole('list', { name: 'Rebuilt matrices' });
    await expect(rebuilt).toContainText('model.embed_tokens.weight: 30 exact, 5 to approximate (35 in all)');
    await expect(rebuilt).not.toContainText('shared tokens');
    await tool.outputName('base-sp-subword');
    await tool.runButton().click();
    await expect(tool.result().getByRole('status')).toContainText('written to the folder “base-sp-subword”', { timeout: 60_000 }); // prettier-ignore
    const subword = ['tinymix-base', DONOR, 'base-sp-subword', '--approximation-method', 'subword', '--subword-method', 'weighted_mean', '--hub-url', hub.url]; // prettier-ignore
    await expect(tool.result().getByLabel('Command line')).toHaveText(`merge-studio tokensurgeon ${subword.join(' ')}`); // prettier-ignore
    expect(await studio.savedFiles('picked-surgery/base-sp-subword')).toEqual(await cliFiles(root, subword, 'base-sp-subword')); // prettier-ignore

    // mp_rope reads the attention heads from both configs; the donor's has none, and the plan says so.
    await tool.method().selectOption('mp_rope');
    await expect(tool.k()).toBeVisible();
    await expect(tool.plan()).toContainText(
      "Cannot plan this transplant: mp_rope needs the donor's num_attention_heads, and its config.json has none",
    );
    await page.screenshot({
      path: path.join(REPO, 'test-results', 'studio-tokensurgeon.png'),
      fullPage: true,
    });
  } finally {
    await hub.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('cancel stops within a second and leaves no config.json; a transplant interrupted by a reload resumes to the CLI’s bytes', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const root = await donorRoot();
  // A slow link: copying tinymix-base's 1.6 MB of weights takes about 16 s.
  const hub = await startTestHub({ bytesPerSecond: 100_000 });
  const folder = 'picked-surgery-cancel/base-sp';
  try {
    const studio = new Studio(page);
    const tool = new SurgeryStudio(page);
    await studio.stubFolderPicker('picked-surgery-cancel');
    await studio.open(hub.url);
    await openDonor(page, root);
    await tool.show();
    await tool.model().fill('tinymix-base');
    await tool.donor().fill(DONOR);
    await tool.method().selectOption('common_interpolation');
    await tool.k().fill('4');
    await tool.outputName('base-sp');
    await expect(tool.plan()).toContainText('Vocabulary 260 → 35 tokens', { timeout: 30_000 });

    await tool.runButton().click();
    await expect(page.getByText(/writing: \d+ of 39 tensors/)).toBeVisible({ timeout: 60_000 });
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'The tokenizer transplant was cancelled' })).toBeVisible(); // prettier-ignore
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(Object.keys(await studio.savedFiles(folder))).not.toContain('config.json');

    // Again, and the tab goes away mid-run: after the reload the transplant is offered, in any tool.
    await tool.runButton().click();
    await expect(page.getByText(/writing: \d+ of 39 tensors/)).toBeVisible({ timeout: 60_000 });
    await page.reload();
    await page.getByRole('radiogroup', { name: 'What to build' }).getByRole('radio', { name: 'Merge' }).check(); // prettier-ignore
    const banner = tool.resumeBanner();
    await expect(banner).toContainText('A transplant into “base-sp” was interrupted');
    // The job's record holds the opened folder's files (IndexedDB keeps File objects).
    await banner.getByRole('button', { name: 'Resume transplant into base-sp' }).click();
    await expect(page.getByRole('heading', { name: 'Transplant tokenizer', level: 2 })).toBeVisible();
    await expect(tool.method()).toHaveValue('common_interpolation');
    await expect(tool.result()).toBeVisible({ timeout: 120_000 });
    await expect(banner).toBeHidden();
    const local = path.join(TINYMIX, 'tinymix-base');
    const args = [local, DONOR, 'base-sp', '-a', 'common_interpolation', '-k', '4'];
    expect(await studio.savedFiles(folder)).toEqual(await cliFiles(root, args, 'base-sp'));
  } finally {
    await hub.close();
    await rm(root, { recursive: true, force: true });
  }
});
