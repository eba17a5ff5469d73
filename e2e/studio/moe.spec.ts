/**
 * The mixture-of-experts builder as a user drives it, against the local demo hub: choose the
 * tinymix models in the picker, switch to "Mixture of experts", fill the form (cheap_embed
 * gates, deterministic), check the YAML both ways, build into a picked folder (an OPFS folder
 * stands in for the picker); the files must equal `merge-studio moe`'s for the YAML shown.
 * Then, on a slow hub: Cancel stops the build within a second and leaves nothing that looks
 * like a complete model (an earlier model's config.json and weights are gone), and a build
 * interrupted by a reload is offered for resuming and resumes to the CLI's bytes. And the page's
 * link: a reload keeps the config and the open tool, the plan (headers only) counts what the
 * build writes, and the header's link is the MoE's, without the token. And another output
 * architecture: a DeepSeek MoE with a shared expert, chosen in the form, planned and built to
 * the CLI's bytes.
 */
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { DEMO_MOE } from '../../src/features/moe/demo-moe.ts';
import { cliMoeReference } from '../support/cli-moe-reference.ts';
import { REPO, startTestHub } from '../support/hub.ts';
import { MoeStudio } from '../support/moe-studio.ts';
import { Studio } from '../support/studio.ts';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flow runs once');
});

const POWER_OF_TWO =
  'the model has 3 experts, which is not a power of two: it will not be usable in llama.cpp';

test('build a 3-expert cheap_embed MoE with the form: files equal the CLI output', async ({ page }) => {
  const hub = await startTestHub();
  try {
    const studio = new Studio(page);
    const moe = new MoeStudio(page);
    await studio.stubFolderPicker('picked-moe');
    await studio.open(hub.url);
    for (const id of ['tinymix-base', 'tinymix-code', 'tinymix-math', 'tinymix-law'])
      await studio.addModel(id);
    await moe.show();
    // The merge's panels are out of the way; the models column stays.
    await expect(page.getByRole('radiogroup', { name: 'Merge method' })).toBeHidden();
    await page.getByRole('button', { name: 'Use the chosen models' }).click();
    await expect(page.getByRole('combobox', { name: 'Base model' })).toHaveValue('tinymix-base');
    await expect(moe.expert(3).getByRole('combobox', { name: 'Source model' })).toHaveValue('tinymix-law');
    await page.getByLabel('Gate mode').selectOption('cheap_embed');
    await expect(page.getByText(/Sums the token embeddings of each expert’s prompts/)).toBeVisible();
    // Build waits for prompts, and says why, as the CLI would.
    await expect(moe.problems()).toContainText('line 5: experts[0] expert 0 has no positive_prompts');
    await expect(moe.buildButton()).toBeDisabled();
    await moe.fillExpert(1, 'tinymix-code', ['def merge(a, b):', 'import os']);
    await moe.fillExpert(2, 'tinymix-math', ['37+45=82', '12*3=36'], ['def']);
    // Untrusted text stays text: a prompt that looks like markup is a prompt.
    await moe.fillExpert(3, 'tinymix-law', ['The licensee shall', '<img src=x onerror=alert(1)>']);
    await expect(moe.problems()).toBeHidden();
    await expect(page.getByRole('list', { name: 'MoE warnings' })).toContainText(POWER_OF_TWO);
    await expect(moe.yaml()).toHaveValue(/gate_mode: cheap_embed\n/);
    await expect(moe.yaml()).toHaveValue(/ {6}- <img src=x onerror=alert\(1\)>\n/);

    // YAML -> form: an edit fills the form; a typo is a draft with the CLI's line, Build waits.
    const yaml = await moe.yaml().inputValue();
    await moe.yaml().fill(yaml.replace('experts_per_token: 2', 'experts_per_token: 1'));
    await expect(page.getByRole('spinbutton', { name: 'Experts per token' })).toHaveValue('1');
    await moe.yaml().fill(yaml.replace('gate_mode', 'gate_mdoe'));
    await expect(moe.problems()).toContainText(
      "line 2: gate_mdoe unknown key 'gate_mdoe' (did you mean 'gate_mode'?)",
    );
    await expect(moe.buildButton()).toBeDisabled();
    await moe.yaml().fill(yaml);
    await expect(moe.problems()).toBeHidden();
    await expect(page.getByRole('spinbutton', { name: 'Experts per token' })).toHaveValue('2');

    await moe.outputName('moe-ui');
    await moe.buildButton().click();
    await expect(moe.result()).toBeVisible({ timeout: 60_000 });
    await expect(moe.result().getByRole('status')).toContainText('A 3-expert Mixtral MoE (4 layers');
    await expect(moe.result().getByRole('list', { name: 'Build warnings' })).toContainText(POWER_OF_TWO);
    const files = moe.result().getByRole('table', { name: 'Files' });
    for (const f of ['config.json', 'model.safetensors', 'mergekit_moe_config.yml', 'tokenizer.json'])
      await expect(files.getByRole('cell', { name: f, exact: true })).toBeVisible();
    const shown = await moe.yaml().inputValue();
    expect(shown).toBe(yaml);
    expect(await studio.savedFiles('picked-moe/moe-ui')).toEqual(await cliMoeReference(shown, 'moe-ui'));
    expect(await page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    await page.screenshot({ path: path.join(REPO, 'test-results', 'studio-moe.png'), fullPage: true });
  } finally {
    await hub.close();
  }
});

/** Writes an earlier model's files into an OPFS folder, as a reused output folder holds them. */
async function earlierModel(page: Page, folder: string): Promise<void> {
  await page.evaluate(async (where) => {
    let dir = await navigator.storage.getDirectory();
    for (const p of where.split('/')) dir = await dir.getDirectoryHandle(p, { create: true });
    for (const name of ['config.json', 'model.safetensors']) {
      const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await w.write('{"earlier": true}');
      await w.close();
    }
  }, folder);
}

const CONFIG = `base_model: tinymix-base
gate_mode: cheap_embed
experts:
  - source_model: tinymix-code
    positive_prompts: ["def merge(a, b):", "import os"]
  - source_model: tinymix-math
    positive_prompts: ["37+45=82"]
    negative_prompts: ["def"]
`;
/** The three tinymix experts (the demo's models). */
const CONFIG_3 = `${CONFIG}  - source_model: tinymix-law
    positive_prompts: ["The licensee shall"]
`;

test('cancel stops within a second and leaves no config.json; a build interrupted by a reload resumes to the CLI’s bytes', async ({
  page,
}) => {
  test.setTimeout(180_000);
  // A slow link (the three models' bytes take seconds), so the build can be caught mid-way.
  const hub = await startTestHub({ bytesPerSecond: 250_000 });
  try {
    const studio = new Studio(page);
    const moe = new MoeStudio(page);
    await studio.stubFolderPicker('picked-moe-cancel');
    await studio.open(hub.url);
    await moe.show();
    // An imported file (typed here) fills the form.
    await moe.yaml().fill(CONFIG);
    await expect(page.getByRole('combobox', { name: 'Base model' })).toHaveValue('tinymix-base');
    await expect(moe.expert(2).getByRole('textbox', { name: 'Negative prompts' })).toHaveValue('def');
    await moe.yaml().blur();
    const yaml = await moe.yaml().inputValue();
    expect(yaml).toContain('experts_per_token: 2');
    await moe.outputName('moe-cancel');
    await earlierModel(page, 'picked-moe-cancel/moe-cancel');

    await moe.buildButton().click();
    await expect(page.getByText(/reading inputs|of \d+ tensors/)).toBeVisible({ timeout: 30_000 });
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Cancel' }).click();
    const cancelled = page.getByRole('alert').filter({ hasText: 'The build was cancelled' });
    await expect(cancelled).toBeVisible();
    // The worker is ended a second after Cancel at the latest; the rest is the test's polling.
    expect(Date.now() - t0).toBeLessThan(1500);
    const partial = await studio.savedFiles('picked-moe-cancel/moe-cancel');
    expect(Object.keys(partial)).not.toContain('config.json');
    expect(Object.keys(partial)).toContain('.merge-studio-job.json');
    // The shard being written is staged until it is complete: at most an empty file.
    const emptySha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect([undefined, emptySha]).toContain(partial['model.safetensors']);

    // Built again, then the tab goes away mid-build: after the reload it is offered for resuming.
    await moe.buildButton().click();
    await expect(page.getByText(/reading inputs|of \d+ tensors/)).toBeVisible({ timeout: 30_000 });
    await page.reload();
    const banner = page.getByRole('region', { name: 'Interrupted builds' });
    await banner.getByRole('button', { name: 'Resume build into moe-cancel' }).click();
    await expect(moe.result()).toBeVisible({ timeout: 90_000 });
    await expect(moe.yaml()).toHaveValue(yaml);
    expect(await studio.savedFiles('picked-moe-cancel/moe-cancel')).toEqual(
      await cliMoeReference(yaml, 'moe-cancel'),
    );
  } finally {
    await hub.close();
  }
});

test('a reload keeps the MoE config and the open tool; the plan counts the tensors; the link is the MoE’s, without the token', async ({
  page,
  context,
}) => {
  const hub = await startTestHub();
  const token = 'hf_moelinktokenmoelink';
  try {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const studio = new Studio(page);
    const moe = new MoeStudio(page);
    await studio.open(hub.url);
    await page.getByLabel('Access token (gated or private models)').fill(token);
    await moe.show();
    await expect(moe.plan()).toContainText('Once the base and every expert name a model');
    await moe.yaml().fill(CONFIG_3);
    await moe.yaml().blur();
    // The tinymix models: embeddings, 6 base tensors a layer, norm and head; 3 experts x 3
    // weights and a router in each of the 4 layers.
    await expect(moe.plan()).toContainText('in 1 shard: 67 tensors, 4 layers × 3 experts.');
    // Not repeated: the Build panel lists the config's own warning already.
    await expect(page.getByRole('list', { name: 'MoE warnings' })).toContainText(POWER_OF_TWO);
    await expect(moe.plan().getByRole('list', { name: 'Plan warnings' })).toBeHidden();
    const yaml = await moe.yaml().inputValue();

    // A model that is not on the hub: the plan says which, before any build.
    await moe.expert(2).getByRole('combobox', { name: 'Source model' }).fill('tinymix-mat');
    await expect(moe.plan()).toContainText('Cannot plan this MoE: tinymix-mat was not found');
    await moe.expert(2).getByRole('combobox', { name: 'Source model' }).fill('tinymix-math');
    await expect(moe.plan()).toContainText('67 tensors');

    await expect.poll(() => page.url()).toContain(`moe=${Buffer.from(yaml).toString('base64url')}`);
    expect(page.url()).toContain('mode=moe');
    expect(page.url()).not.toContain(token);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Mixture of experts', level: 2 })).toBeVisible();
    await expect(moe.yaml()).toHaveValue(yaml);
    await expect(moe.expert(3).getByRole('textbox', { name: 'Positive prompts' })).toHaveValue(
      'The licensee shall',
    );
    await expect(moe.plan()).toContainText('67 tensors, 4 layers × 3 experts');

    // The header's link is the MoE's: it opens the builder with this config, and no token.
    await page.getByRole('button', { name: 'Copy link to this MoE config' }).click();
    await expect(page.getByRole('button', { name: 'Link copied' })).toBeVisible();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain('mode=moe');
    expect(copied).not.toContain('recipe=');
    expect(copied).not.toContain(token);
    const other = await context.newPage();
    await other.goto(copied);
    await expect(new MoeStudio(other).yaml()).toHaveValue(yaml);
    await other.close();

    // Opened by link, the config is under Recent recipes; in Merge mode a click brings it back.
    await page
      .getByRole('radiogroup', { name: 'What to build' })
      .getByRole('radio', { name: 'Merge' })
      .check();
    await expect(page.getByRole('button', { name: 'Copy link to this recipe' })).toBeVisible();
    await page.getByText('Recent recipes').click();
    await page.getByRole('button', { name: 'MoE (cheap_embed): tinymix-base + 3 experts' }).click();
    await expect(moe.yaml()).toHaveValue(yaml);
  } finally {
    await hub.close();
  }
});

/** docs/moe.md's demo config (the studio's "Start from a demo MoE"): hidden gates. */
const DEMO = DEMO_MOE;

test('a DeepSeek MoE with a shared expert, chosen in the form: the plan names it, the files equal the CLI output', async ({
  page,
}) => {
  const hub = await startTestHub();
  try {
    const studio = new Studio(page);
    const moe = new MoeStudio(page);
    await studio.stubFolderPicker('picked-moe-deepseek');
    await studio.open(hub.url);
    await moe.show();
    await moe.yaml().fill(DEMO);
    await moe.yaml().blur();
    // Left to the models, tinymix (Llama) without shared experts makes a Mixtral. (The first
    // plan starts the plan worker: more time.)
    await expect(moe.plan()).toContainText(
      'Builds a Mixtral MoE: about 3.8 MB in 1 shard: 67 tensors, 4 layers × 3 experts.',
      { timeout: 30_000 },
    );
    const arch = page.getByRole('combobox', { name: 'Output architecture' });
    await expect(arch).toHaveValue('');
    await arch.selectOption({ label: 'DeepSeek MoE' });
    await expect(arch).toHaveAccessibleDescription(/at most one shared expert, without prompts/);
    await page.getByRole('button', { name: 'Add shared expert' }).click();
    await expect(page.getByRole('heading', { name: 'Shared experts (1)' })).toBeVisible();
    const shared = moe.sharedExpert(1);
    await shared.getByRole('combobox', { name: 'Source model' }).fill('tinymix-base');
    await expect(shared.getByRole('textbox', { name: 'Positive prompts' })).toHaveAccessibleDescription(
      /None: DeepSeek MoE sends every token through its shared expert/,
    );

    // Qwen2-MoE gates its shared expert: its prompts are needed, at the field and in the CLI's words.
    await arch.selectOption({ label: 'Qwen2-MoE' });
    await expect(shared.getByText('Needed before Build: at least one prompt.')).toBeVisible();
    await expect(moe.problems()).toContainText('Qwen MoE gates its shared expert');
    await expect(moe.buildButton()).toBeDisabled();
    await arch.selectOption({ label: 'DeepSeek MoE' });
    await expect(moe.problems()).toBeHidden();

    await expect(moe.plan()).toContainText(
      'Builds a DeepSeek MoE: about 4.9 MB in 1 shard: 79 tensors, 4 layers × 3 experts + 1 shared expert.',
    );
    await expect(moe.plan()).toContainText('trust_remote_code=True');
    const yaml = await moe.yaml().inputValue();
    expect(yaml).toContain('\narchitecture: deepseek\n');
    expect(yaml).toMatch(/\nshared_experts:\n {2}- source_model: tinymix-base\n$/);

    await moe.outputName('moe-deepseek');
    await moe.buildButton().click();
    await expect(moe.result()).toBeVisible({ timeout: 60_000 });
    await expect(moe.result().getByRole('status')).toContainText(
      'A 3-expert DeepSeek MoE with 1 shared expert (4 layers, 79 tensors)',
    );
    expect(await studio.savedFiles('picked-moe-deepseek/moe-deepseek')).toEqual(
      await cliMoeReference(yaml, 'moe-deepseek'),
    );
    await page.screenshot({
      path: path.join(REPO, 'test-results', 'studio-moe-deepseek.png'),
      fullPage: true,
    });
    await page.getByText('Recent recipes').click();
    await expect(
      page.getByRole('button', { name: 'MoE (hidden): tinymix-base + 3 experts + 1 shared expert' }),
    ).toBeVisible();
  } finally {
    await hub.close();
  }
});
