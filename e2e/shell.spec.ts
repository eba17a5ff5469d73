import { expect, test } from '@playwright/test';

test('the studio opens with every merge method to choose from', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Merge Studio', level: 1 })).toBeVisible();
  await expect(page.getByRole('radiogroup', { name: 'Merge method' }).getByRole('radio')).toHaveCount(20);
  await expect(page.getByRole('textbox', { name: 'Recipe YAML' })).toHaveValue(/merge_method: linear/);
});

test('a first-time user can start from a demo recipe', async ({ page }) => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'UI flow runs once');
  await page.goto('/');
  await page.getByRole('button', { name: /Start from a demo recipe/ }).click();
  await expect(page.getByRole('textbox', { name: 'Recipe YAML' })).toHaveValue(
    /merge_method: ties\nbase_model: tinymix-base/,
  );
  await expect(page.getByRole('radio', { name: /^TIES ties/ })).toBeChecked();
});

test('a link naming an unknown hub asks first; the token field names where it goes', async ({ page }) => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'UI flow runs once');
  const hub = 'https://hub.example.test';
  await page.goto(`/#hub=${encodeURIComponent(hub)}`);
  const notice = page.getByRole('region', { name: 'Hub from the link' });
  await expect(notice).toContainText(`This link reads its models from ${hub}`);
  await expect(page.getByRole('combobox', { name: 'Hub' })).toHaveValue('demo');
  const token = page.getByLabel('Access token (gated or private models)');
  await token.fill('hf_typedbeforeconfirming');
  await notice.getByRole('button', { name: `Use ${hub}` }).click();
  await expect(notice).toBeHidden();
  await expect(page.getByRole('textbox', { name: 'Hub URL' })).toHaveValue(hub);
  await expect(token).toHaveValue('');
  await expect(page.getByText(/sent only to/)).toContainText(`sent only to ${hub};`);
});

test('"Other hub URL…" shows a Hub URL field; a hub typed there on another origin clears the token', async ({
  page,
}) => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'UI flow runs once');
  await page.goto('/');
  const hub = page.getByRole('combobox', { name: 'Hub' });
  await expect(hub).toHaveValue('demo');
  const token = page.getByLabel('Access token (gated or private models)');
  await token.fill('hf_forthedemohub');
  await hub.selectOption({ label: 'Other hub URL…' });
  await expect(hub).toHaveValue('custom');
  const url = page.getByRole('textbox', { name: 'Hub URL' });
  await expect(url).toBeVisible();
  await url.fill('http://127.0.0.1:6123');
  await expect(hub).toHaveValue('custom');
  await expect(token).toHaveValue('');
  await expect(page.getByText(/sent only to/)).toContainText('sent only to http://127.0.0.1:6123;');
  // Back to a preset: the field goes, the select stays where it was put.
  await hub.selectOption({ label: 'Hugging Face Hub' });
  await expect(hub).toHaveValue('hf');
  await expect(url).toBeHidden();
});
