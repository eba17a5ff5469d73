/**
 * The studio as the preview specs drive it: the shared page object, opened with an inert Vite
 * client (edits elsewhere in a checkout cannot reload the page mid-test) at a laptop size, plus
 * the Preview region, where every preview locator starts.
 */
import type { Locator } from '@playwright/test';
import { Studio } from '../support/studio.ts';
import { inertViteClient } from './inert-vite-client.ts';

export class PreviewStudio extends Studio {
  override async open(hubUrl: string): Promise<void> {
    await inertViteClient(this.page);
    await this.page.setViewportSize({ width: 1366, height: 900 });
    await super.open(hubUrl);
  }

  /** The Preview section: every preview locator starts here. */
  get preview(): Locator {
    return this.page.getByRole('region', { name: 'Preview', exact: true });
  }

  async tab(name: string): Promise<void> {
    await this.preview.getByRole('tab', { name }).click();
  }
}
