/**
 * A page object for the studio: what a user does, through role locators. Also stands in for the
 * folder picker (headless Chromium's always refuses) with an OPFS directory, as the toolchain
 * notes advise, and reads the saved files back for byte comparisons.
 */
import { expect, type Page } from '@playwright/test';
import { FOLDER_ID_FILE } from '../../workers/io/browser/folder-lock.ts';

export class Studio {
  constructor(readonly page: Page) {}

  /** Replaces showDirectoryPicker with an OPFS folder named `folder` (before the page loads). */
  async stubFolderPicker(folder: string): Promise<void> {
    await this.page.addInitScript((name) => {
      (
        window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }
      ).showDirectoryPicker = async () =>
        (await navigator.storage.getDirectory()).getDirectoryHandle(name, { create: true });
    }, folder);
  }

  /** Removes showDirectoryPicker (before the page loads): merges go to browser storage, then downloads. */
  async withoutFolderPicker(): Promise<void> {
    await this.page.addInitScript(() => {
      delete (window as unknown as { showDirectoryPicker?: unknown }).showDirectoryPicker;
    });
  }

  /** The Download buttons of the merge result's files (browser storage), one a file. */
  downloads() {
    return this.page
      .getByRole('region', { name: 'Merge result' })
      .getByRole('button', { name: /^Download (?!all files as )/ });
  }

  async open(hubUrl: string, hash = ''): Promise<void> {
    await this.page.goto(`/#hub=${encodeURIComponent(hubUrl)}${hash}`);
    await expect(this.page.getByRole('heading', { name: 'Merge Studio', level: 1 })).toBeVisible();
  }

  async addModel(id: string): Promise<void> {
    await this.page.getByRole('searchbox', { name: 'Search models' }).fill(id);
    await this.page.getByRole('button', { name: `Add ${id}`, exact: true }).click();
    await expect(
      this.page.getByRole('list', { name: 'Models in the merge' }).getByText(id, { exact: true }),
    ).toBeVisible();
  }

  /** The demo base and its code and math fine-tunes, the studio's usual first merge. */
  async addDemoModels(): Promise<void> {
    for (const id of ['tinymix-base', 'tinymix-code', 'tinymix-math']) await this.addModel(id);
  }

  async chooseMethod(label: RegExp): Promise<void> {
    await this.page
      .getByRole('radiogroup', { name: 'Merge method' })
      .getByRole('radio', { name: label })
      .check();
  }

  yaml() {
    return this.page.getByRole('textbox', { name: 'Recipe YAML' });
  }

  async mergeAndWait(): Promise<void> {
    await this.page.getByRole('button', { name: /merge$/i }).click();
    await expect(this.page.getByRole('region', { name: 'Merge result' })).toBeVisible({ timeout: 60_000 });
  }

  /** sha256 of each file in an OPFS folder, but the picked folder's id (folder-lock.ts). */
  async savedFiles(folder: string): Promise<Record<string, string>> {
    return this.page.evaluate(
      async ({ path, idFile }) => {
        let dir = await navigator.storage.getDirectory();
        for (const p of path.split('/')) dir = await dir.getDirectoryHandle(p);
        const out: Record<string, string> = {};
        for await (const [name, h] of (
          dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
        ).entries()) {
          if (h.kind !== 'file' || name === idFile) continue;
          const buf = await (await (h as FileSystemFileHandle).getFile()).arrayBuffer();
          const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
          out[name] = [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
        }
        return out;
      },
      { path: folder, idFile: FOLDER_ID_FILE },
    );
  }
}
