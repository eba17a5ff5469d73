import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPath } from '../../e2e/support/chromium.ts';
import { betweenDocuments, launchOverPipe, type PipeBrowser } from './cdp-pipe.ts';

const executable = chromiumPath() ?? chromium.executablePath();
const PAGE =
  'data:text/html,<body><script>setTimeout(() => { document.body.dataset.ready = "true" }, 300)</script>';

/** Serves a page that navigates to itself 40 times before it is ready: often between documents. */
async function navigatingPage(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? 0);
    res.setHeader('content-type', 'text/html');
    res.end(
      n < 40
        ? `<body><script>setTimeout(() => location.replace('?n=${n + 1}'), 1)</script>`
        : `<body data-ready="true" data-n="${n}">`,
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/?n=0`, close: () => new Promise((r) => server.close(() => r())) };
}

/** Runs `fn` with Chromium on `page`, then closes it; returns the (closed) browser. */
async function withBrowser(fn: (b: PipeBrowser) => Promise<void>, page = PAGE): Promise<PipeBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'cdp-pipe-'));
  const browser = await launchOverPipe(
    executable,
    [...CHROMIUM_ARGS, '--headless', `--user-data-dir=${profile}`],
    page,
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

describe('betweenDocuments', () => {
  it('tells a page still navigating from a failed evaluation', () => {
    // The message a 16-core machine gave when the bench evaluated right after Chromium started.
    expect(betweenDocuments(new Error('Runtime.evaluate: Cannot find default execution context'))).toBe(true);
    expect(betweenDocuments(new Error('Execution context was destroyed.'))).toBe(true);
    // An evaluation in flight when the page navigates (seen once in CI's run of the test below).
    expect(betweenDocuments(new Error('Runtime.evaluate: Inspected target navigated or closed'))).toBe(true);
    expect(betweenDocuments(new Error('ReferenceError: merge is not defined'))).toBe(false);
    expect(betweenDocuments('Cannot find default execution context')).toBe(false);
  });
});

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

  it('waits through navigations (no execution context yet) instead of failing', async () => {
    const site = await navigatingPage();
    try {
      await withBrowser(async (browser) => {
        expect(await browser.evaluate<string>('document.body.dataset.n')).toBe('40');
      }, site.url);
    } finally {
      await site.close();
    }
  });

  it('fails what waits on a page that crashes, instead of waiting forever', async () => {
    await withBrowser(async (browser) => {
      const never = browser.evaluate('new Promise(() => {})');
      await browser.send('Page.crash', {}, browser.pageSession).catch(() => undefined);
      await expect(never).rejects.toThrow(/crashed|went away/);
    });
  });
});
