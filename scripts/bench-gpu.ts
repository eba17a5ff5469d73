/**
 * `npm run bench:gpu`: GPU vs CPU elements per second for every merge method, in a real
 * browser. Starts the Vite dev server, opens the WebGPU harness page (e2e/webgpu/harness) in
 * Chromium and times, per method, the WebGPU backend (uploads, kernels and readback included)
 * against the CPU kernel in the same page, on one seeded tensor of `--elements` elements
 * (rows of 1024) with the method's parity case (models, parameters). Best of `--runs`.
 *
 * For machines with a GPU. Without one, `--swiftshader` runs Chromium's software adapter (the
 * flags the tests use): it proves the script works and says nothing about GPU speed.
 *
 *   npm run bench:gpu                                   every method, 4M elements
 *   npm run bench:gpu -- --methods ties,dare_ties --elements 16777216
 *   npm run bench:gpu -- --swiftshader --elements 1048576 --runs 2
 *   CHROMIUM_PATH=/opt/chrome/chrome npm run bench:gpu  another browser build
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import type { BenchRow, WebGpuHarness } from '../e2e/webgpu/harness/api.ts';
import { CASES } from '../e2e/webgpu/harness/cases.ts';
import { INERT_VITE_CLIENT, VITE_CLIENT_ROUTE } from '../e2e/webgpu/harness/inert-vite-client.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    elements: { type: 'string', default: String(1 << 22) },
    runs: { type: 'string', default: '3' },
    methods: { type: 'string' },
    port: { type: 'string', default: '5310' },
    swiftshader: { type: 'boolean', default: false },
  },
});

const elements = Number(values.elements);
const runs = Number(values.runs);
const methods = values.methods?.split(',') ?? [...new Set(CASES.map((c) => c.method))];

/**
 * Chromium flags: the test suite's (playwright.config.ts), except that with a real GPU the
 * browser must not get --disable-gpu, and Linux needs Vulkan enabled for WebGPU.
 */
const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];
const flags = values.swiftshader
  ? [...BASE_FLAGS, '--disable-gpu']
  : [...BASE_FLAGS, '--enable-features=Vulkan'];
const executablePath =
  process.env['CHROMIUM_PATH'] ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

const pad = (s: string | number, n: number): string => String(s).padStart(n);
const rate = (r: BenchRow, ms: number): string => (r.elements / ms / 1e3).toFixed(1);

async function main(): Promise<void> {
  const server = await createServer({
    root: ROOT,
    logLevel: 'error',
    server: { port: Number(values.port), strictPort: true, host: '127.0.0.1', hmr: false },
  });
  await server.listen();
  const browser = await chromium.launch({ ...(executablePath && { executablePath }), args: flags });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(0);
    await page.route(VITE_CLIENT_ROUTE, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: INERT_VITE_CLIENT }),
    );
    await page.goto(`http://127.0.0.1:${values.port}/e2e/webgpu/harness/index.html`);
    await page.waitForSelector('body[data-ready="true"]');
    const adapter = await page.evaluate(() =>
      (window as unknown as { webgpuHarness: WebGpuHarness }).webgpuHarness.adapterInfo(),
    );
    if (!adapter) throw new Error('this browser offers no WebGPU adapter: nothing to measure');
    console.log(`browser: Chromium ${browser.version()}; adapter: ${adapter}`);
    if (/swiftshader/i.test(adapter)) {
      console.log('SwiftShader is a CPU emulation of a GPU: these GPU figures say nothing about GPU speed.');
    }
    console.log(`tensor: ${elements} elements (rows of 1024), best of ${runs} runs; M elements/s of output`);
    console.log(
      `${'method'.padEnd(17)}${pad('CPU ms', 10)}${pad('GPU ms', 10)}${pad('CPU M/s', 10)}${pad('GPU M/s', 10)}${pad('GPU/CPU', 9)}`,
    );
    for (const method of methods) {
      const r = await page.evaluate(
        ([m, n, k]) => (window as unknown as { webgpuHarness: WebGpuHarness }).webgpuHarness.bench(m, n, k),
        [method, elements, runs] as const,
      );
      console.log(
        `${method.padEnd(17)}${pad(r.cpuMs.toFixed(1), 10)}${pad(r.gpuMs.toFixed(1), 10)}` +
          `${pad(rate(r, r.cpuMs), 10)}${pad(rate(r, r.gpuMs), 10)}${pad((r.cpuMs / r.gpuMs).toFixed(2), 9)}`,
      );
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
