/**
 * The studio as the preview specs drive it (copied from e2e/support/studio.ts's way of doing
 * things, plus the Preview region): open it against a local hub with an inert Vite client,
 * add models, pick a method, read the YAML, and find things inside the Preview section only.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { inertViteClient } from './inert-vite-client.ts';

export class PreviewStudio {
  constructor(readonly page: Page) {}

  async open(hubUrl: string): Promise<void> {
    await inertViteClient(this.page);
    await this.page.setViewportSize({ width: 1366, height: 900 });
    await this.page.goto(`/#hub=${encodeURIComponent(hubUrl)}`);
    await expect(this.page.getByRole('heading', { name: 'Merge Studio', level: 1 })).toBeVisible();
  }

  async addModel(id: string): Promise<void> {
    await this.page.getByRole('searchbox', { name: 'Search models' }).fill(id);
    await this.page.getByRole('button', { name: `Add ${id}`, exact: true }).click();
    await expect(
      this.page.getByRole('list', { name: 'Models in the merge' }).getByText(id, { exact: true }),
    ).toBeVisible();
  }

  async chooseMethod(label: RegExp): Promise<void> {
    await this.page
      .getByRole('radiogroup', { name: 'Merge method' })
      .getByRole('radio', { name: label })
      .check();
  }

  yaml(): Locator {
    return this.page.getByRole('textbox', { name: 'Recipe YAML' });
  }

  /** The Preview section: every preview locator starts here. */
  get preview(): Locator {
    return this.page.getByRole('region', { name: 'Preview', exact: true });
  }

  async tab(name: string): Promise<void> {
    await this.preview.getByRole('tab', { name }).click();
  }
}
