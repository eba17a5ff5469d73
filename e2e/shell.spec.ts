import { expect, test } from '@playwright/test';

test('the studio opens with every merge method to choose from', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Merge Studio', level: 1 })).toBeVisible();
  await expect(page.getByRole('radiogroup', { name: 'Merge method' }).getByRole('radio')).toHaveCount(20);
  await expect(page.getByRole('textbox', { name: 'Recipe YAML' })).toHaveValue(/merge_method: linear/);
});
