/**
 * A page object for the studio's mixture-of-experts builder: what a user does there, through
 * role locators. The folder picker stand-in and file read-back are the Studio page object's.
 */
import { expect, type Page } from '@playwright/test';

export class MoeStudio {
  constructor(readonly page: Page) {}

  async show(): Promise<void> {
    await this.page
      .getByRole('radiogroup', { name: 'What to build' })
      .getByRole('radio', { name: 'Mixture of experts' })
      .check();
    await expect(this.page.getByRole('heading', { name: 'Mixture of experts', level: 2 })).toBeVisible();
  }

  yaml() {
    return this.page.getByRole('textbox', { name: 'MoE config YAML' });
  }

  problems() {
    return this.page.getByRole('list', { name: 'MoE config problems' });
  }

  expert(n: number) {
    return this.page.getByRole('group', { name: `Expert ${n}`, exact: true });
  }

  /** Shared expert `n` (1-based): DeepSeek MoE's or Qwen2-MoE's. */
  sharedExpert(n: number) {
    return this.page.getByRole('group', { name: `Shared expert ${n}`, exact: true });
  }

  /** Fills expert `n` (1-based): its model and prompts, one a line. */
  async fillExpert(n: number, model: string, positive: readonly string[], negative: readonly string[] = []) {
    const e = this.expert(n);
    await e.getByRole('combobox', { name: 'Source model' }).fill(model);
    await e.getByRole('textbox', { name: 'Positive prompts' }).fill(positive.join('\n'));
    if (negative.length > 0)
      await e.getByRole('textbox', { name: 'Negative prompts' }).fill(negative.join('\n'));
  }

  buildButton() {
    return this.page.getByRole('button', { name: /build$/i });
  }

  result() {
    return this.page.getByRole('region', { name: 'Build result' });
  }

  /** The progress bar while a build runs. */
  progress() {
    return this.page.getByRole('progressbar', { name: 'Build progress' });
  }

  /** What the build will write, read from the models' headers before Build. */
  plan() {
    return this.page.getByRole('region', { name: 'Plan', exact: true });
  }

  async outputName(name: string): Promise<void> {
    await this.page.getByRole('textbox', { name: 'Output folder name' }).fill(name);
  }
}
