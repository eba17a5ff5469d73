/**
 * A page object for the studio's Transplant tokenizer tool: what a user does there, through
 * role locators. The folder picker stand-in and file read-back are the Studio page object's.
 */
import { expect, type Page } from '@playwright/test';

export class SurgeryStudio {
  constructor(readonly page: Page) {}

  async show(): Promise<void> {
    await this.page
      .getByRole('radiogroup', { name: 'What to build' })
      .getByRole('radio', { name: 'Transplant tokenizer' })
      .check();
    await expect(this.page.getByRole('heading', { name: 'Transplant tokenizer', level: 2 })).toBeVisible();
  }

  model() {
    return this.page.getByRole('combobox', { name: 'Model', exact: true });
  }

  donor() {
    return this.page.getByRole('combobox', { name: 'Donor' });
  }

  method() {
    return this.page.getByRole('combobox', { name: 'Approximation method' });
  }

  k() {
    return this.page.getByRole('spinbutton', { name: 'k', exact: true });
  }

  plan() {
    return this.page.getByRole('region', { name: 'Plan', exact: true });
  }

  runButton() {
    return this.page.getByRole('button', { name: /transplant$/i });
  }

  progress() {
    return this.page.getByRole('progressbar', { name: 'Transplant progress' });
  }

  result() {
    return this.page.getByRole('region', { name: 'Transplant result' });
  }

  /** Transplants interrupted by a reload, offered for resuming (above every tool). */
  resumeBanner() {
    return this.page.getByRole('region', { name: 'Interrupted transplants' });
  }

  async outputName(name: string): Promise<void> {
    await this.page.getByRole('textbox', { name: 'Output folder name' }).fill(name);
  }
}
