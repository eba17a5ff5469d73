/**
 * `npm run bench:browser`: a three-input TIES merge (base + two fine-tunes) of synthetic
 * Llama-shaped models of about 1 GB each, served by the local hub and merged in headless
 * Chromium into OPFS (on disk: a persistent profile). Prints the wall time, the time to only
 * read the same inputs (same blocks and pipelining, nothing merged or written), throughput, and
 * the peak memory (PSS) of all the browser's processes, then repeats with models twice as deep
 * to show that memory does not grow with model size.
 *
 *   npm run bench:browser                      1 GB per input, then 2 GB
 *   npm run bench:browser -- --layers 6 --once smaller, one size only (a quick look)
 *   npm run bench:browser -- --hub-delay-ms 150 each hub answer waits 150 ms (a network's latency)
 *   npm run bench:browser -- --browser-ui       keep the browser's own UI preloads (see LEAN_ARGS)
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { startHubServer } from '../server/hub-server.ts';
import { writeSyntheticLlama } from './lib/synthetic-model.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/support/chromium.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'hub-delay-ms': { type: 'string', default: '0' },
    layers: { type: 'string', default: '12' },
    once: { type: 'boolean', default: false },
    keep: { type: 'boolean' },
    'browser-ui': { type: 'boolean', default: false },
  },
});

/** TinyLlama-like shapes: hidden 2048, MLP 5632, 4 KV heads of 64, vocab 32000 (~88 MB a layer). */
const SHAPE = { hidden: 2048, mlp: 5632, kv: 256, vocab: 32000 };

/** PSS of a process tree (MB), from /proc (Linux). */
async function treePss(rootPid: number): Promise<number> {
  const children = new Map<number, number[]>();
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    stack.push(...(children.get(pid) ?? []));
    try {
      const m = /Pss:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'));
      total += m ? Number(m[1]) : 0;
    } catch {
      // gone
    }
  }
  return total / 1024;
}

/**
 * Chromium as Playwright starts it also keeps, beside the page, a spare renderer process and a
 * preloaded omnibox popup (a WebUI renderer): about 90 MB of browser UI that a headless merge
 * never shows. They are switched off here so that the figure is the page's; `--browser-ui`
 * keeps them. Chromium takes only the last --disable-features, so this list replaces
 * Playwright's own and repeats the entries of it that matter on a machine without internet.
 */
const LEAN_ARGS = [
  '--disable-features=' +
    [
      'SpareRendererForSitePerProcess',
      'WebUIOmniboxPopup',
      'WebUIOmniboxAimPopup',
      'WebUIOmniboxFullPopup',
      // Playwright's:
      'Translate',
      'MediaRouter',
      'HttpsUpgrades',
      'HttpsFirstBalancedModeAutoEnable',
      'OptimizationHints',
      'NetworkTimeServiceQuerying',
      'AimEnabled',
      'PreconnectToSearch',
    ].join(','),
];

const RECIPE = `merge_method: ties
base_model: base
models:
  - model: ft1
    parameters: {weight: 0.5, density: 0.5}
  - model: ft2
    parameters: {weight: 0.5, density: 0.5}

`;

async function runSize(layers: number, pageUrl: string): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-models-'));
  const profile = await mkdtemp(path.join(os.tmpdir(), 'bench-profile-'));
  const t0 = performance.now();
  const sizes = await Promise.all(
    ['base', 'ft1', 'ft2'].map((m, i) => writeSyntheticLlama(path.join(dir, m), { ...SHAPE, layers }, i)),
  );
  console.log(
    `\n${layers} layers: 3 inputs of ${(sizes[0]! / 1e9).toFixed(2)} GB written in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  const largest = SHAPE.vocab * SHAPE.hidden * 2;
  const hub = await startHubServer({ root: dir, port: 0, delayMs: Number(values['hub-delay-ms']) });
  const ctx = await chromium.launchPersistentContext(profile, {
    ...(chromiumPath() && { executablePath: chromiumPath()! }),
    args: [...CHROMIUM_ARGS, ...(values['browser-ui'] ? [] : LEAN_ARGS)],
  });
  const browserPid = await findBrowserPid(profile);
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(pageUrl);
    await page.waitForSelector('body[data-ready=true]', { state: 'attached' });
    const request = { recipeText: RECIPE, sources: { hub: { url: hub.url } }, outputName: 'bench' };
    const baseline = await treePss(browserPid);
    const read = await page.evaluate(
      (r) =>
        (
          window as unknown as {
            harness: { readInputs(r: unknown): Promise<{ ms: number; bytes: number; requests: number }> };
          }
        ).harness.readInputs(r),
      request,
    );
    let peak = 0;
    const sampler = setInterval(() => void treePss(browserPid).then((m) => (peak = Math.max(peak, m))), 150);
    const merged = await page.evaluate(async (r) => {
      const h = (
        window as unknown as {
          harness: {
            clear(f: string): Promise<void>;
            start(r: unknown, f: string): void;
            wait(): Promise<{
              bytesWritten?: number;
              error?: string;
              timings?: { readWaitMs: number; computeMs: number; writeWaitMs: number };
            }>;
          };
        }
      ).harness;
      await h.clear('bench-out');
      const t = performance.now();
      h.start(r, 'bench-out');
      const res = await h.wait();
      return { ms: performance.now() - t, res };
    }, request);
    clearInterval(sampler);
    if (merged.res.error) throw new Error(merged.res.error);
    const readMB = read.bytes / 1e6;
    const limit = (4 * largest) / 1e6 + 300;
    console.log(
      `  read only: ${(read.ms / 1000).toFixed(1)} s, ${readMB.toFixed(0)} MB in ${read.requests} requests, ${(readMB / (read.ms / 1000)).toFixed(0)} MB/s`,
    );
    console.log(
      `  merge:     ${(merged.ms / 1000).toFixed(1)} s, ${(readMB / (merged.ms / 1000)).toFixed(0)} MB/s read, ${((merged.res.bytesWritten ?? 0) / 1e6).toFixed(0)} MB written`,
    );
    const tm = merged.res.timings!;
    console.log(
      `  time split: waiting for reads ${(tm.readWaitMs / 1000).toFixed(1)} s, merging ${(tm.computeMs / 1000).toFixed(1)} s, waiting for writes ${(tm.writeWaitMs / 1000).toFixed(1)} s`,
    );
    console.log(`  wall / read-only: ${(merged.ms / read.ms).toFixed(2)}x (target <= 1.3x)`);
    console.log(
      `  peak browser memory (PSS, all processes${values['browser-ui'] ? '' : ', browser UI preloads off'}): ${peak.toFixed(0)} MB (idle ${baseline.toFixed(0)} MB); largest tensor ${(largest / 1e6).toFixed(0)} MB, target <= (3 + 1) x largest + 300 = ${limit.toFixed(0)} MB`,
    );
  } finally {
    await ctx.close();
    await hub.close();
    if (!values.keep) await rm(dir, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
}

/** The browser process is the Chromium started with our profile directory. */
async function findBrowserPid(profile: string): Promise<number> {
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const cmd = await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(profile) && !cmd.includes('--type=')) return Number(e);
  }
  throw new Error('browser process not found');
}

const vite = await createServer({ root: ROOT, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
await vite.listen();
const address = vite.httpServer!.address() as { port: number };
const pageUrl = `http://127.0.0.1:${address.port}/e2e/merge/harness.html`;
try {
  const layers = Number(values.layers);
  await runSize(layers, pageUrl);
  if (!values.once) await runSize(layers * 2, pageUrl);
} finally {
  await vite.close();
}
