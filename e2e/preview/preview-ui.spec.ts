/**
 * The Preview panel as a user drives it, against a local hub, with locators scoped to the
 * Preview section: a sweep run from the UI whose best point is applied to the recipe (the YAML
 * changes), the layer heatmap read with the keyboard, losses of the models and the merge,
 * a refused short text, a greedy soup and "try it" generation. Screenshots go to docs/.
 */
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { REPO, startTestHub } from '../support/hub.ts';
import { PreviewStudio } from './studio.ts';

const SHOTS = path.join(REPO, 'docs/screenshots');
/** Screenshots for the docs are refreshed only on request (SCREENSHOTS=1), never by a plain test run. */
const UPDATE_SHOTS = process.env['SCREENSHOTS'] === '1';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flows run once (the preview is CPU-only)');
});

async function taskArithmetic(s: PreviewStudio, hubUrl: string): Promise<void> {
  await s.open(hubUrl);
  await s.chooseMethod(/^Task Arithmetic task_arithmetic/);
  await s.addDemoModels();
}

test('a user runs a weight sweep from the UI and applies the best point to the recipe', async ({ page }) => {
  const hub = await startTestHub();
  try {
    const s = new PreviewStudio(page);
    await taskArithmetic(s, hub.url);
    await expect(s.yaml()).toHaveValue(/model: tinymix-code\n\s+parameters:\n\s+weight: 1\n/);
    // Keyboard: from the first tab, arrow right twice to Sweep.
    await s.preview.getByRole('tab', { name: 'Layer analysis' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect(s.preview.getByRole('tab', { name: 'Sweep' })).toHaveAttribute('aria-selected', 'true');
    await expect(s.preview.getByRole('checkbox', { name: 'Python code' })).toBeChecked();
    await expect(s.preview.getByRole('checkbox', { name: 'Arithmetic' })).toBeChecked();
    await expect(s.preview.getByRole('checkbox', { name: 'General English' })).not.toBeChecked();
    await expect(s.preview.getByRole('combobox', { name: 'Parameter (axis 1)' })).toHaveValue(
      'weight@tinymix-code',
    );
    await expect(s.preview.getByRole('combobox', { name: 'Set weight to 1 − x on (axis 1)' })).toHaveValue(
      'tinymix-math',
    );
    await expect(s.preview.getByRole('spinbutton', { name: 'Steps (axis 1)' })).toHaveValue('11');
    await s.preview.getByRole('button', { name: 'Run sweep' }).click();
    const best = s.preview.getByRole('region', { name: 'Best point' });
    await expect(best).toBeVisible({ timeout: 60_000 });
    await expect(best).toContainText('(tinymix-math: 1 − x) = 0.6: mean loss');
    await expect(best).toContainText('better than every model alone');
    const took = await best.getByText(/^11 points in/).textContent();
    console.log(`UI sweep: ${took} (load average ${os.loadavg()[0]!.toFixed(2)})`);
    await expect(
      s.preview.getByRole('img', {
        name: /^Mean loss over weight of tinymix-code .*lowest 1\.7\d+ at 0\.6$/,
      }),
    ).toBeVisible();
    if (UPDATE_SHOTS) await s.preview.screenshot({ path: path.join(SHOTS, 'preview-sweep.png') });
    await best.getByRole('button', { name: 'Apply best point' }).click();
    await expect(best.getByRole('status')).toHaveText(
      /Applied weight of tinymix-code .* = 0\.6 to the recipe\./,
    );
    await expect(s.yaml()).toHaveValue(/model: tinymix-code\n\s+parameters:\n\s+weight: 0\.6\n/);
    await expect(s.yaml()).toHaveValue(/model: tinymix-math\n\s+parameters:\n\s+weight: 0\.4\n/);
    // The recipe's own controls follow.
    await expect(page.getByRole('spinbutton', { name: 'weight of tinymix-code' })).toHaveValue('0.6');
  } finally {
    await hub.close();
  }
});

test('the layer heatmap reads with the keyboard; models and the merge are evaluated; a short text is refused', async ({
  page,
}) => {
  const hub = await startTestHub();
  try {
    const s = new PreviewStudio(page);
    await taskArithmetic(s, hub.url);
    await s.preview.getByRole('button', { name: 'Analyse layers' }).click();
    await expect(
      s.preview.getByText(
        /^Read all 4 layers of tinymix-base and tinymix-code, tinymix-math: 4\.4 MB in 12 requests/,
      ),
    ).toBeVisible({ timeout: 30_000 });
    await expect(s.preview.getByRole('list', { name: 'Analysis warnings' })).toContainText('Signs disagree');
    await s.preview.getByRole('combobox', { name: 'Metric' }).selectOption({ label: 'SLERP angle' });
    const grid = s.preview.getByRole('group', { name: /^SLERP angle per layer and module/ });
    await page.mouse.move(0, 0); // no cell under the pointer: the keyboard starts at the first cell
    await grid.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    const tip = s.preview.getByRole('status').filter({ hasText: 'model.layers.1.self_attn.k_proj.weight' });
    await expect(tip).toContainText(/SLERP angle: \d+\.\d\d°/);
    await expect(tip).toContainText('tinymix-code: norm');
    if (UPDATE_SHOTS) await s.preview.screenshot({ path: path.join(SHOTS, 'preview-analysis.png') });

    await s.tab('Evaluate');
    await s.preview.getByRole('button', { name: 'Evaluate' }).click();
    const table = s.preview.getByRole('table', { name: /Mean loss in nats per token/ });
    await expect(table).toBeVisible({ timeout: 60_000 });
    await expect(table.getByRole('row')).toHaveCount(5); // header, three models, the merge
    await expect(table.getByRole('row', { name: /Merge of the current recipe/ })).toBeVisible();
    if (UPDATE_SHOTS) await s.preview.screenshot({ path: path.join(SHOTS, 'preview-evaluate.png') });
    // Only a pasted text that is too short: the engine's message, as an alert.
    await s.preview.getByRole('checkbox', { name: 'Python code' }).uncheck();
    await s.preview.getByRole('checkbox', { name: 'Arithmetic' }).uncheck();
    await s.preview.getByRole('textbox', { name: /Your own text/ }).fill('too short to judge a model');
    await s.preview.getByRole('button', { name: 'Evaluate' }).click();
    await expect(s.preview.getByRole('alert')).toContainText('one window of 128 needs at least 129', {
      timeout: 30_000,
    });
  } finally {
    await hub.close();
  }
});

test('try it: greedy text from the merge, then a greedy soup replaces the recipe', async ({ page }) => {
  const hub = await startTestHub();
  try {
    const s = new PreviewStudio(page);
    await taskArithmetic(s, hub.url);
    await s.tab('Try it');
    await s.preview.getByRole('spinbutton', { name: 'New tokens' }).fill('40');
    await s.preview.getByRole('button', { name: 'Generate' }).click();
    await expect(s.preview.getByText(/^40 tokens in \d+ ms/)).toBeVisible({ timeout: 30_000 });
    const stats = await s.preview.getByText(/^40 tokens in \d+ ms/).textContent();
    console.log(`try it: ${stats} (load average ${os.loadavg()[0]!.toFixed(2)})`);
    const out = await s.preview.getByLabel('Generated text').textContent();
    expect(out!.length).toBeGreaterThan('def add(a, b):\n'.length + 10);
    if (UPDATE_SHOTS) await s.preview.screenshot({ path: path.join(SHOTS, 'preview-tryit.png') });

    await s.addModel('tinymix-code-b');
    await s.tab('Greedy soup');
    await s.preview.getByRole('checkbox', { name: 'tinymix-base' }).uncheck();
    await s.preview.getByRole('checkbox', { name: 'tinymix-math' }).uncheck();
    await s.preview.getByRole('button', { name: 'Make a greedy soup' }).click();
    const result = s.preview.getByRole('region', { name: 'Soup result' });
    await expect(result).toBeVisible({ timeout: 60_000 });
    await expect(s.preview.getByRole('list', { name: 'Soup steps' }).getByRole('listitem')).toHaveCount(2);
    await result.getByRole('button', { name: 'Use the soup as the recipe' }).click();
    await expect(s.yaml()).toHaveValue(/^merge_method: linear\n/);
  } finally {
    await hub.close();
  }
});
