/**
 * A page object for the studio's Extract LoRA tool: what a user does there, through role
 * locators. The folder picker stand-in and file read-back are the Studio page object's.
 */
import { expect, type Page } from '@playwright/test';

export class LoraStudio {
  constructor(readonly page: Page) {}

  async show(): Promise<void> {
    await this.page
      .getByRole('radiogroup', { name: 'What to build' })
      .getByRole('radio', { name: 'Extract LoRA' })
      .check();
    await expect(this.page.getByRole('heading', { name: 'Extract LoRA', level: 2 })).toBeVisible();
  }

  model() {
    return this.page.getByRole('combobox', { name: 'Fine-tuned model' });
  }

  base() {
    return this.page.getByRole('combobox', { name: 'Base model' });
  }

  maxRank() {
    return this.page.getByRole('spinbutton', { name: 'Max rank' });
  }

  list(label: 'Save modules' | 'Include patterns' | 'Exclude patterns') {
    return this.page.getByRole('textbox', { name: label });
  }

  /** What the extraction will write, read from the models' headers before it runs. */
  plan() {
    return this.page.getByRole('region', { name: 'Plan', exact: true });
  }

  extractButton() {
    return this.page.getByRole('button', { name: /extract$/i });
  }

  progress() {
    return this.page.getByRole('progressbar', { name: 'Extraction progress' });
  }

  result() {
    return this.page.getByRole('region', { name: 'Extraction result' });
  }

  /** The run's log lines (the log is folded away: read its text, it need not be open). */
  log() {
    return this.page.locator('.run-progress pre.log');
  }

  /** Extractions interrupted by a reload, offered for resuming (above every tool). */
  resumeBanner() {
    return this.page.getByRole('region', { name: 'Interrupted extractions' });
  }

  async outputName(name: string): Promise<void> {
    await this.page.getByRole('textbox', { name: 'Output folder name' }).fill(name);
  }
}
