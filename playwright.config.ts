import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from './e2e/support/chromium.ts';

/**
 * Real Chromium (see e2e/support/chromium.ts), in two projects: `webgpu` with
 * --enable-unsafe-webgpu (a SwiftShader adapter where there is no GPU) and `cpu-fallback`
 * without an adapter.
 */
const executablePath = chromiumPath();
const baseArgs = [...CHROMIUM_ARGS];
const port = Number(process.env['E2E_PORT'] ?? 5199);

export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: { ...(executablePath && { executablePath }), args: baseArgs },
  },
  projects: [
    {
      name: 'webgpu',
      use: {
        launchOptions: {
          ...(executablePath && { executablePath }),
          args: [...baseArgs, '--enable-unsafe-webgpu'],
        },
      },
    },
    {
      name: 'cpu-fallback',
      use: { launchOptions: { ...(executablePath && { executablePath }), args: baseArgs } },
    },
  ],
  webServer: {
    command: `node node_modules/vite/bin/vite.js --port ${port} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
