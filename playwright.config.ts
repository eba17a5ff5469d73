import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

/**
 * Real Chromium: CHROMIUM_PATH, else Debian's /usr/bin/chromium, else Playwright's own browser
 * (`npx playwright install` on a machine with internet). The flags keep a headless Chromium
 * off the network it cannot reach; --enable-unsafe-webgpu gives a (SwiftShader) WebGPU adapter.
 */
const executablePath =
  process.env['CHROMIUM_PATH'] ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
const baseArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
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
