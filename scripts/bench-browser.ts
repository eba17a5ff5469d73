/**
 * `npm run bench:browser`: a three-input TIES merge (base + two fine-tunes) of synthetic
 * Llama-shaped models of about 1 GB each, served by the local hub and merged in headless
 * Chromium into OPFS (on disk: a persistent profile). Prints the wall time, the time to only
 * read the same inputs (same blocks and buffer pool, nothing merged or written), throughput, the
 * CPU seconds each process used in each phase (the local hub runs in a process of its own),
 * and the peak memory (PSS) of all the browser's processes, sampled in both phases, then
 * repeats with models twice as deep to show that memory does not grow with model size.
 *
 *   npm run bench:browser                      1 GB per input, then 2 GB
 *   npm run bench:browser -- --layers 6 --once smaller, one size only (a quick look)
 *   npm run bench:browser -- --hub-delay-ms 150 each hub answer waits 150 ms (a network's latency)
 *   npm run bench:browser -- --hub-mbps 400     the hub sends file bodies at 400 MB/s in all (a
 *                                               network link's bandwidth)
 *   npm run bench:browser -- --browser-ui       keep the browser's own UI preloads (see UI_PRELOADS)
 *   npm run bench:browser -- --lanes 3          compute lanes for the merge (default: the studio's,
 *                                               from navigator.hardwareConcurrency; 0 on 2 cores)
 *   npm run bench:browser -- --static DIR       serve a production build of the harness page
 *                                               (`vite build` of e2e/merge/harness.html) instead
 *                                               of the Vite dev server
 *   npm run bench:browser -- --memory-dumps     Chromium's memory-infra dumps: the allocators of
 *                                               the largest process at its largest dump
 *   npm run bench:browser -- --lane-writes never
 *                                               who writes what lanes merge (MergeRequest.laneWrites):
 *                                               auto (the lanes themselves from two lanes on), always,
 *                                               never (the merge worker)
 *   npm run bench:browser -- --coordinator-share 0.5
 *                                               the merge worker merges a part of each split
 *                                               tensor too, half a lane's (default 0: none)
 *   npm run bench:browser -- --save directory   save as into a folder the user picked (an OPFS
 *                                               directory handle in its place: createWritable, as
 *                                               Chromium users save) instead of OPFS sync access
 *                                               handles (the fallback of Firefox and Safari)
 */
import { fork } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchOverPipe, type PipeBrowser } from './lib/cdp-pipe.ts';
import { coordinatorShare, laneWrites } from './lib/lane-writes.ts';
import { startMemoryDumps } from './lib/memory-dump.ts';
import { BENCH_SHAPE, BENCH_TIES_RECIPE, writeSyntheticLlama } from './lib/synthetic-model.ts';
import { CHROMIUM_ARGS, chromiumPath } from '../e2e/support/chromium.ts';
import { cpuSplit, findBrowserPid, PeakPss, processCpu, treeCpu, treePss } from './lib/process-stats.ts';
import type { MergeTimings } from '../workers/protocol.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'hub-delay-ms': { type: 'string', default: '0' },
    'hub-mbps': { type: 'string' },
    layers: { type: 'string', default: '12' },
    once: { type: 'boolean', default: false },
    keep: { type: 'boolean' },
    'browser-ui': { type: 'boolean', default: false },
    lanes: { type: 'string' },
    'lane-writes': { type: 'string' },
    'coordinator-share': { type: 'string' },
    static: { type: 'string' },
    'memory-dumps': { type: 'boolean', default: false },
    save: { type: 'string', default: 'opfs' },
  },
});
if (values.save !== 'opfs' && values.save !== 'directory')
  throw new Error(`--save wants opfs or directory, not ${values.save}`);

const SHAPE = BENCH_SHAPE;
const HUB_MBPS = values['hub-mbps'] === undefined ? undefined : Number(values['hub-mbps']);
if (HUB_MBPS !== undefined && !(HUB_MBPS > 0))
  throw new Error(`--hub-mbps wants a positive number, not ${values['hub-mbps']}`);

/** The local hub in a child process (lib/hub-child.ts), so that its CPU is its own. */
async function forkHub(
  root: string,
  delayMs: number,
  mbps: number | undefined,
): Promise<{ url: string; pid: number; close(): Promise<void> }> {
  const args = [root, String(delayMs), ...(mbps ? [String(mbps * 1e6)] : [])];
  // A bundled bench (no tsx) names a bundled hub child.
  const bundled = process.env['BENCH_HUB_CHILD'];
  const child = bundled
    ? fork(bundled, args)
    : fork(path.join(ROOT, 'scripts/lib/hub-child.ts'), args, {
        execArgv: ['--import', 'tsx'],
      });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the local hub exited before listening (code ${code})`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A child that has died is no longer connected, and disconnect() would then throw.
  const close = (): Promise<void> => {
    if (child.connected) child.disconnect();
    return exited;
  };
  return { url, pid: child.pid!, close };
}

/**
 * Chromium is started as Playwright would start it for a headless run (the switches of its
 * launcher that matter here), but driven over a plain DevTools pipe (lib/cdp-pipe.ts): with
 * Playwright attached, DevTools copied part of every fetch body into buffers of its own.
 */
const HEADLESS_ARGS = [
  '--headless',
  '--hide-scrollbars',
  '--mute-audio',
  '--disable-field-trial-config',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--disable-back-forward-cache',
  '--disable-breakpad',
  '--disable-component-extensions-with-background-pages',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
  '--disable-extensions',
  '--disable-hang-monitor',
  '--disable-ipc-flooding-protection',
  '--disable-popup-blocking',
  '--disable-prompt-on-repost',
  '--disable-client-side-phishing-detection',
  '--disable-search-engine-choice-screen',
  '--no-default-browser-check',
  '--no-service-autorun',
  '--password-store=basic',
  '--use-mock-keychain',
  '--metrics-recording-only',
  '--force-color-profile=srgb',
];

/** Features that would reach for the internet this machine does not have (Playwright's list). */
const QUIET_FEATURES = [
  'Translate',
  'MediaRouter',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
];

/**
 * Chromium also keeps, beside the page, a spare renderer process and a preloaded omnibox popup
 * (a WebUI renderer): about 35 MB of PSS of browser UI that a headless merge never shows. They
 * are switched off so that the figure is the page's; `--browser-ui` keeps them.
 */
const UI_PRELOADS = [
  'SpareRendererForSitePerProcess',
  'WebUIOmniboxPopup',
  'WebUIOmniboxAimPopup',
  'WebUIOmniboxFullPopup',
];

const RECIPE = BENCH_TIES_RECIPE;

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
  let closeHub: (() => Promise<void>) | undefined;
  let browser: PipeBrowser | undefined;
  try {
    const hub = await forkHub(dir, Number(values['hub-delay-ms']), HUB_MBPS);
    closeHub = hub.close;
    if (HUB_MBPS) console.log(`  the hub's file bodies limited to ${HUB_MBPS} MB/s in all (a network link)`);
    const page = (browser = await launchOverPipe(
      // Playwright only where no Chromium is named (a bundled run on a lent machine has none).
      chromiumPath() ?? (await import('@playwright/test')).chromium.executablePath(),
      [
        ...CHROMIUM_ARGS,
        ...HEADLESS_ARGS,
        `--user-data-dir=${profile}`,
        `--disable-features=${[...QUIET_FEATURES, ...(values['browser-ui'] ? [] : UI_PRELOADS)].join(',')}`,
        // more switches, e.g. --js-flags=--trace-gc
        ...(process.env['BENCH_CHROMIUM_ARGS']?.split(' ').filter(Boolean) ?? []),
      ],
      pageUrl,
      "document.body?.dataset.ready === 'true'",
    ));
    const dumps = values['memory-dumps']
      ? (everyMs: number, phase: string) => startMemoryDumps(page, everyMs, phase)
      : undefined;
    const browserPid = await findBrowserPid(profile);
    const request = {
      recipeText: RECIPE,
      sources: { hub: { url: hub.url } },
      outputName: 'bench',
      ...(values.lanes !== undefined && { computeLanes: Number(values.lanes) }),
      ...(values['lane-writes'] !== undefined && { laneWrites: laneWrites(values['lane-writes']) }),
      ...(values['coordinator-share'] !== undefined && {
        coordinatorShare: coordinatorShare(values['coordinator-share']),
      }),
    };
    const baseline = await treePss(browserPid);
    let cpu0 = await treeCpu(browserPid);
    let hub0 = await processCpu(hub.pid);
    let node0 = process.cpuUsage();
    // Memory is sampled in both phases: the sampler's CPU then weighs on both times alike.
    const readMemory = new PeakPss(browserPid);
    const stopReadDumps = await dumps?.(500, 'read only');
    // Timed on the page, as the merge is: from the call to the result, the worker's start and
    // its loading of the headers included (the merge's wall includes them too).
    const read = await page.evaluate<{ ms: number; workerMs: number; bytes: number; requests: number }>(
      `(async (r) => {
        const t = performance.now();
        const x = await harness.readInputs(r);
        return { ...x, workerMs: x.ms, ms: performance.now() - t };
      })(${JSON.stringify(request)})`,
    );
    readMemory.stop();
    await stopReadDumps?.();
    const readCpu = cpuSplit(
      cpu0,
      await treeCpu(browserPid),
      (await processCpu(hub.pid)) - hub0,
      process.cpuUsage(node0),
    );
    cpu0 = await treeCpu(browserPid);
    hub0 = await processCpu(hub.pid);
    node0 = process.cpuUsage();
    const memory = new PeakPss(browserPid);
    const stopDumps = await dumps?.(700, 'merge');
    const merged = await page.evaluate<{
      ms: number;
      res: { bytesWritten?: number; error?: string; timings?: MergeTimings };
    }>(`(async (r) => {
      await harness.clear('bench-out');
      const t = performance.now();
      harness.start(r, 'bench-out', ${JSON.stringify(values.save)});
      const res = await harness.wait();
      return { ms: performance.now() - t, res };
    })(${JSON.stringify(request)})`);
    memory.stop();
    await stopDumps?.();
    const peak = memory.peak;
    const env = await page.evaluate<{ cores: number; isolated: boolean; logs: string[] }>(`({
      cores: navigator.hardwareConcurrency,
      isolated: self.crossOriginIsolated,
      logs: harness.logs.filter((l) => l.startsWith('compute:')),
    })`);
    const mergeCpu = cpuSplit(
      cpu0,
      await treeCpu(browserPid),
      (await processCpu(hub.pid)) - hub0,
      process.cpuUsage(node0),
    );
    if (merged.res.error) throw new Error(merged.res.error);
    const readMB = read.bytes / 1e6;
    const limit = (4 * largest) / 1e6 + 300;
    console.log(
      `  read only: ${(read.ms / 1000).toFixed(1)} s (in the worker, after its start: ${(read.workerMs / 1000).toFixed(1)} s), ${readMB.toFixed(0)} MB in ${read.requests} requests, ${(readMB / (read.ms / 1000)).toFixed(0)} MB/s`,
    );
    console.log(
      `  merge:     ${(merged.ms / 1000).toFixed(1)} s, ${(readMB / (merged.ms / 1000)).toFixed(0)} MB/s read, ${((merged.res.bytesWritten ?? 0) / 1e6).toFixed(0)} MB written`,
    );
    console.log(
      `  compute: ${env.logs.map((l) => l.slice('compute: '.length)).join('; ') || 'on the merge worker alone'} (hardwareConcurrency ${env.cores}, cross-origin isolated: ${env.isolated}); saved ${values.save === 'opfs' ? 'through OPFS sync access handles' : 'through createWritable (a picked folder)'}`,
    );
    console.log(`  CPU, read only: ${readCpu}`);
    console.log(`  CPU, merge:     ${mergeCpu}`);
    const tm = merged.res.timings!;
    console.log(
      `  time split: waiting for reads ${(tm.readWaitMs / 1000).toFixed(1)} s, merging ${(tm.computeMs / 1000).toFixed(1)} s, waiting for writes ${(tm.writeWaitMs / 1000).toFixed(1)} s`,
    );
    if (tm.lanesBusyMs !== undefined)
      console.log(
        `  lanes, summed: merging parts ${(tm.lanesBusyMs / 1000).toFixed(1)} s, waiting for the merge worker at barriers ${((tm.lanesSyncWaitMs ?? 0) / 1000).toFixed(1)} s and for written pieces ${((tm.lanesWriteWaitMs ?? 0) / 1000).toFixed(1)} s`,
      );
    console.log(`  wall / read-only: ${(merged.ms / read.ms).toFixed(2)}x (target <= 1.3x)`);
    console.log(
      `  peak browser memory (PSS, all processes${values['browser-ui'] ? '' : ', browser UI preloads off'}): ${peak.toFixed(0)} MB (idle ${baseline.toFixed(0)} MB); largest tensor ${(largest / 1e6).toFixed(0)} MB, target <= (3 + 1) x largest + 300 = ${limit.toFixed(0)} MB`,
    );
    console.log(
      `  (of which exact PSS samples, one a second: peak ${memory.exactPeak.toFixed(0)} MB; between them RSS changes are added)`,
    );
    console.log(
      `  peak while only reading: ${readMemory.peak.toFixed(0)} MB (exact samples ${readMemory.exactPeak.toFixed(0)} MB)`,
    );
  } finally {
    await browser?.close();
    await closeHub?.();
    if (!values.keep) await rm(dir, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
}

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** A built harness, served as a host should: cross-origin isolated (see vite.config.ts). */
async function serveStatic(root: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    const file = path.join(root, path.normalize(new URL(req.url ?? '/', 'http://x').pathname));
    readFile(file).then(
      (body) =>
        res
          .writeHead(200, {
            'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
            'Cross-Origin-Opener-Policy': 'same-origin',
            'Cross-Origin-Embedder-Policy': 'require-corp',
          })
          .end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function serveHarness(): Promise<{ port: number; close(): Promise<void> }> {
  if (values.static) return serveStatic(path.resolve(values.static));
  const { createServer } = await import('vite');
  const vite = await createServer({ root: ROOT, logLevel: 'error', server: { port: 0, host: '127.0.0.1' } });
  await vite.listen();
  const { port } = vite.httpServer!.address() as AddressInfo;
  return { port, close: () => vite.close() };
}

const site = await serveHarness();
const pageUrl = `http://127.0.0.1:${site.port}/e2e/merge/harness.html`;
try {
  const layers = Number(values.layers);
  await runSize(layers, pageUrl);
  if (!values.once) await runSize(layers * 2, pageUrl);
} finally {
  await site.close();
}
