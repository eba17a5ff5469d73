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
