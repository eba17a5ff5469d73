/**
 * A page object for the studio as the curve and slices specs use it: open it against a local
 * hub, pick a method, add models, read the YAML view. Role locators only, as a user finds things.
 */
import { expect, type Locator, type Page } from '@playwright/test';

export class Studio {
  constructor(readonly page: Page) {}

  async open(hubUrl: string): Promise<void> {
    await this.page.setViewportSize({ width: 1366, height: 900 });
    await this.page.goto(`/#hub=${encodeURIComponent(hubUrl)}`);
    await expect(this.page.getByRole('heading', { name: 'Merge Studio', level: 1 })).toBeVisible();
  }

  async method(prettyAndName: RegExp): Promise<void> {
    await this.page.getByRole('radio', { name: prettyAndName }).check();
  }

  async addModels(...ids: string[]): Promise<void> {
    for (const id of ids) await this.page.getByRole('button', { name: `Add ${id}`, exact: true }).click();
    await expect(
      this.page.getByRole('list', { name: 'Models in the merge' }).getByRole('listitem'),
    ).toHaveCount(ids.length);
  }

  get yaml(): Locator {
    return this.page.getByRole('textbox', { name: 'Recipe YAML' });
  }

  /** The YAML view's text once it contains `part` (the view follows the recipe at once). */
  async expectYaml(part: string): Promise<void> {
    await expect(this.yaml).toHaveValue(new RegExp(part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  }

  get curveEditor(): Locator {
    return this.page.getByRole('region', { name: /^Per-layer curve:/ });
  }

  get slicesEditor(): Locator {
    return this.page.getByRole('region', { name: 'Layer slices' });
  }

  /** Saves a screenshot for the docs when SCREENSHOTS=1 (so ordinary runs leave docs/ alone). */
  async docsScreenshot(file: string, scrollTo: Locator): Promise<void> {
    if (process.env['SCREENSHOTS'] !== '1') return;
    await scrollTo.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await this.page.evaluate(() => window.scrollBy(0, -12));
    await this.page.screenshot({ path: file });
  }
}
