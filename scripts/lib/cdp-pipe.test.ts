import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../../e2e/support/chromium.ts';
import { launchOverPipe, type PipeBrowser } from './cdp-pipe.ts';

const executable = chromiumPath() ?? chromium.executablePath();
const PAGE =
  'data:text/html,<body><script>setTimeout(() => { document.body.dataset.ready = "true" }, 300)</script>';

/** Runs `fn` with Chromium on PAGE, then closes it; returns the (closed) browser. */
async function withBrowser(fn: (b: PipeBrowser) => Promise<void>): Promise<PipeBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'cdp-pipe-'));
  const browser = await launchOverPipe(
    executable,
    [...CHROMIUM_ARGS, '--headless', `--user-data-dir=${profile}`],
    PAGE,
    "document.body?.dataset.ready === 'true'",
  );
  try {
    await fn(browser);
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
  return browser;
}

describe.skipIf(!existsSync(executable))('Chromium over the DevTools pipe (bench:browser)', () => {
  it('waits for the page, evaluates (awaiting promises), reports exceptions and closes the browser', async () => {
    const closed = await withBrowser(async (browser) => {
      expect(await browser.evaluate<string>('document.body.dataset.ready')).toBe('true');
      expect(await browser.evaluate<number[]>('new Promise((r) => setTimeout(() => r([1, 2]), 50))')).toEqual(
        [1, 2],
      );
      await expect(browser.evaluate('Promise.reject(new Error("no such tensor"))')).rejects.toThrow(
        'no such tensor',
      );
      // Browser-level commands work too (Tracing uses them for memory dumps).
      const { product } = await browser.send<{ product: string }>('Browser.getVersion');
      expect(product).toMatch(/Chrom/);
    });
    await expect(closed.evaluate('1')).rejects.toThrow(/Chromium exited/);
  });

  it('fails what waits on a page that crashes, instead of waiting forever', async () => {
    await withBrowser(async (browser) => {
      const never = browser.evaluate('new Promise(() => {})');
      await browser.send('Page.crash', {}, browser.pageSession).catch(() => undefined);
      await expect(never).rejects.toThrow(/crashed|went away/);
    });
  });
});
