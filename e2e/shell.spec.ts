import { expect, test } from '@playwright/test';

test('the studio shell lists every merge method', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Merge Studio', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Merge methods' })).toBeVisible();
  await expect(page.getByRole('listitem')).toHaveCount(20);
});
