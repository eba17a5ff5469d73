/**
 * LoRA adapters as a user applies them: a small PEFT adapter for tinymix-base (it fits
 * tinymix-code too: same architecture) served beside the models. Added as a model it says it is
 * an adapter; applied to the code model with "Apply LoRA adapter…" the model becomes
 * `tinymix-code+my-lora` in the YAML, and a linear merge's saved files equal the CLI's output
 * for that YAML. The same adapter opened as a local folder applies the same way.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { adapterFiles, BASE_CONFIG, linearPair } from '../../workers/io/lora/test-helpers.ts';
import { cliReference } from '../support/cli-reference.ts';
import { startTestHub, TINYMIX } from '../support/hub.ts';
import { Studio } from '../support/studio.ts';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flow runs once');
});

/** A folder serving tinymix-base, tinymix-code and `my-lora`, an adapter of q_proj and v_proj. */
async function fixture(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'e2e-lora-'));
  for (const id of ['tinymix-base', 'tinymix-code'])
    await cp(path.join(TINYMIX, id), path.join(root, id), { recursive: true });
  const files = adapterFiles(BASE_CONFIG, [
    ...linearPair('model.layers.0.self_attn.q_proj', 2, 128, 128, 'BF16', 11),
    ...linearPair('model.layers.1.self_attn.q_proj', 2, 128, 128, 'BF16', 13),
    // Two key/value heads of 32: v_proj maps 128 to 64.
    ...linearPair('model.layers.2.self_attn.v_proj', 2, 128, 64, 'BF16', 17),
  ]);
  await mkdir(path.join(root, 'my-lora'));
  for (const [name, bytes] of files) await writeFile(path.join(root, 'my-lora', name), bytes);
  return root;
}

/** The chosen model `name` (its name shown, possibly with an adapter) in the list. */
function chosen(page: Page, name: string) {
  return page
    .getByRole('list', { name: 'Models in the merge' })
    .getByRole('listitem')
    .filter({ has: page.getByText(name, { exact: true }) });
}

/**
 * Empties the search box and waits for its results (every model of the hub): the results list
 * sits above the chosen models, and a late change of its length would move the buttons a click
 * is aimed at.
 */
async function settleSearch(page: Page, count: number): Promise<void> {
  await page.getByRole('searchbox', { name: 'Search models' }).fill('');
  await expect(page.getByRole('list', { name: 'Search results' }).getByRole('listitem')).toHaveCount(count);
}

async function applyAdapter(page: Page, model: string, adapter: string): Promise<void> {
  const item = chosen(page, model);
  const box = item.getByLabel(`LoRA adapter for ${model}`);
  if (!(await box.isVisible())) await item.getByText('Apply LoRA adapter…').click();
  await box.fill(adapter);
  await item.getByRole('button', { name: `Apply the LoRA adapter to ${model}` }).click();
}

test('apply an adapter to a chosen model and merge: files equal the CLI output', async ({ page }) => {
  const root = await fixture();
  const hub = await startTestHub({ root });
  try {
    const studio = new Studio(page);
    await studio.stubFolderPicker('picked-lora');
    await studio.open(hub.url);
    await studio.chooseMethod(/^Linear linear/);
    for (const id of ['tinymix-base', 'tinymix-code']) await studio.addModel(id);

    // The adapter added as if it were a model says what it is and how to apply it.
    await studio.addModel('my-lora');
    await expect(chosen(page, 'my-lora').getByText(/^my-lora is a LoRA adapter/)).toContainText(
      'Apply LoRA adapter…',
    );
    await page.getByRole('button', { name: 'Remove my-lora', exact: true }).click();
    await settleSearch(page, 3);

    // A second '+' is refused inline, as the recipe validator would.
    const code = chosen(page, 'tinymix-code');
    await code.getByText('Apply LoRA adapter…').click();
    await code.getByLabel('LoRA adapter for tinymix-code').fill('my-lora+x');
    await expect(code.getByRole('alert')).toContainText("has more than one '+'");
    await expect(code.getByRole('button', { name: /^Apply the LoRA adapter/ })).toBeDisabled();

    await applyAdapter(page, 'tinymix-code', 'my-lora');
    await expect(studio.yaml()).toHaveValue(/- model: tinymix-code\+my-lora\n\s+parameters:/);
    const adapted = chosen(page, 'my-lora');
    await expect(adapted.getByText('tinymix-code', { exact: true })).toBeVisible();
    await expect(adapted.getByText(/805\.0k params/)).toBeVisible();
    await expect(page.getByRole('spinbutton', { name: 'weight of tinymix-code+my-lora' })).toBeVisible();
    await page.getByRole('spinbutton', { name: 'weight of tinymix-code+my-lora' }).fill('0.75');
    await expect(studio.yaml()).toHaveValue(/weight: 0\.75/);

    await page.getByRole('textbox', { name: 'Output folder name' }).fill('lora-linear');
    await studio.mergeAndWait();
    const yaml = await studio.yaml().inputValue();
    expect(yaml).toMatch(/merge_method: linear/);
    const saved = await studio.savedFiles('picked-lora/lora-linear');
    expect(saved).toEqual(await cliReference(yaml, 'lora-linear', { root }));
    // The adapter changed the weights: the same merge without it gives other bytes.
    const plain = await cliReference(yaml.replaceAll('+my-lora', ''), 'lora-linear', { root });
    expect(saved['model.safetensors']).toBeDefined();
    expect(saved['model.safetensors']).not.toBe(plain['model.safetensors']);

    // Removing the adapter gives the plain model back, its weight kept.
    await adapted.getByRole('button', { name: 'Remove adapter' }).click();
    await expect(studio.yaml()).not.toHaveValue(/my-lora/);
    await expect(page.getByRole('spinbutton', { name: 'weight of tinymix-code' })).toHaveValue('0.75');
  } finally {
    await hub.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('an adapter folder opened from disk applies to a hub model: files equal the CLI output', async ({
  page,
}) => {
  const root = await fixture();
  const hub = await startTestHub({ root });
  try {
    const studio = new Studio(page);
    await studio.stubFolderPicker('picked-lora-local');
    await studio.open(hub.url);
    for (const id of ['tinymix-base', 'tinymix-code']) await studio.addModel(id);
    await settleSearch(page, 3);
    await page.getByLabel('Open a local model folder…').setInputFiles(path.join(root, 'my-lora'));
    await expect(
      page.getByRole('status').filter({ hasText: 'Opened the LoRA adapter my-lora' }),
    ).toBeVisible();
    // Opened, not added as a model.
    await expect(chosen(page, 'my-lora')).toHaveCount(0);

    await applyAdapter(page, 'tinymix-base', 'my-lora');
    await expect(chosen(page, 'my-lora').getByText(/^local adapter · 805\.0k params/)).toBeVisible();
    await page.getByRole('textbox', { name: 'Output folder name' }).fill('lora-local');
    await studio.mergeAndWait();
    const yaml = await studio.yaml().inputValue();
    expect(yaml).toMatch(/- model: tinymix-base\+my-lora/);
    expect(await studio.savedFiles('picked-lora-local/lora-local')).toEqual(
      await cliReference(yaml, 'lora-local', { root }),
    );
  } finally {
    await hub.close();
    await rm(root, { recursive: true, force: true });
  }
});
