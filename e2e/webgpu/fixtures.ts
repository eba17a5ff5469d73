/**
 * One harness page per Playwright worker, shared by the tests: loading the engine modules
 * through Vite once keeps a SwiftShader run short. `adapter` is null where the browser has no
 * WebGPU (the cpu-fallback project), and GPU tests skip on it.
 */
import { test as base, type Page } from '@playwright/test';
import type { WebGpuHarness } from './harness/api.ts';
import { INERT_VITE_CLIENT, VITE_CLIENT_ROUTE } from './harness/inert-vite-client.ts';

export const HARNESS_URL = '/e2e/webgpu/harness/index.html';

export interface HarnessPage {
  readonly page: Page;
  readonly adapter: string | null;
}

export const test = base.extend<object, { harness: HarnessPage }>({
  harness: [
    async ({ browser }, use) => {
      const page = await browser.newPage();
      await page.route(VITE_CLIENT_ROUTE, (route) =>
        route.fulfill({ contentType: 'text/javascript', body: INERT_VITE_CLIENT }),
      );
      // A module that fails to load shows as a page error: report it, not a 60 s timeout.
      const failed = new Promise<never>((_, reject) =>
        page.on('pageerror', (e) => reject(new Error(`the harness page failed: ${e.message}`))),
      );
      await page.goto(HARNESS_URL);
      await Promise.race([page.waitForSelector('body[data-ready="true"]'), failed]);
      const adapter = await page.evaluate(() =>
        (window as unknown as { webgpuHarness: WebGpuHarness }).webgpuHarness.adapterInfo(),
      );
      await use({ page, adapter });
      await page.close();
    },
    { scope: 'worker' },
  ],
});

export const NO_ADAPTER = 'no WebGPU adapter in this browser (the cpu-fallback project): GPU tests skip';

export { expect } from '@playwright/test';
