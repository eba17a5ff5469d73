/**
 * `npm run bench:gpu:node`: the WebGPU backend on a machine's real GPU without a browser, through
 * Dawn (the WebGPU implementation inside Chromium) built for Node: the `webgpu` npm package,
 * which is not a dependency of the studio (`npm install --no-save webgpu` first). For GPU
 * servers where Chromium cannot reach the GPU (no display, no browser packages).
 *
 * It runs every parity case (GPU vs the CPU kernel, by each method's tolerance) and then times
 * each method like `npm run bench:gpu` (uploads, kernels and readback included; the CPU kernel
 * in the same process), and shows what `prefer: 'auto'` would choose for each method (the
 * calibration the studio runs before a merge). Exit code 1 when a parity case fails.
 *
 *   npm run bench:gpu:node
 *   npm run bench:gpu:node -- --methods ties,dare_ties --elements 16777216 --runs 5
 *   npm run bench:gpu:node -- --dawn backend=vulkan        Dawn toggles, passed to create()
 */
import { parseArgs } from 'node:util';
import type { BenchRow } from '../e2e/webgpu/harness/api.ts';
import { CASES, LARGE_CASES } from '../e2e/webgpu/harness/cases.ts';
import { runBench, runParity } from '../e2e/webgpu/harness/parity.ts';
import { calibrate, routesFrom } from '../workers/backends/webgpu/calibrate.ts';
import { createWebGpuBackend } from '../workers/backends/webgpu/webgpu-backend.ts';

const { values } = parseArgs({
  options: {
    elements: { type: 'string', default: String(1 << 22) },
    runs: { type: 'string', default: '3' },
    methods: { type: 'string' },
    dawn: { type: 'string', multiple: true, default: [] },
    'skip-parity': { type: 'boolean', default: false },
  },
});

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

async function loadDawn(): Promise<DawnModule> {
  try {
    const name = 'webgpu'; // not a dependency: resolved at run time only
    return (await import(name)) as DawnModule;
  } catch (e) {
    throw new Error(
      `this needs Dawn for Node: run \`npm install --no-save webgpu\` first (${(e as Error).message})`,
      { cause: e },
    );
  }
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);
const rate = (r: BenchRow, ms: number): string => (r.elements / ms / 1e3).toFixed(1);
const ms = (t: { cpuMs: number; gpuMs: number }): string =>
  `GPU ${t.gpuMs.toFixed(1)} ms / CPU ${t.cpuMs.toFixed(1)} ms`;

async function main(): Promise<number> {
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(values.dawn);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no GPU adapter on this machine');
  const i = adapter.info;
  console.log(
    `Node ${process.version}, Dawn (npm webgpu); adapter: ${[i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ')}`,
  );
  const backend = await createWebGpuBackend(adapter);
  let failed = 0;
  if (!values['skip-parity']) {
    console.log('\nparity (GPU vs CPU kernel, each method its tolerance):');
    for (const c of [...CASES, ...LARGE_CASES]) {
      const r = await runParity(backend, c.name, () => backend.context.lastSegments);
      if (!r.ok || !r.inputsIntact) failed++;
      console.log(
        `  ${r.ok && r.inputsIntact ? 'ok  ' : 'FAIL'} ${c.name.padEnd(34)} n=${pad(r.n, 8)} max ulps ${pad(r.maxUlps, 6)}` +
          ` normwise ${r.maxNormwise.toExponential(1)} failing ${r.failing}/${r.allowedFailing}`,
      );
    }
    console.log(`  ${[...CASES, ...LARGE_CASES].length - failed} passed, ${failed} failed`);
  }
  const elements = Number(values.elements);
  const runs = Number(values.runs);
  const methods = values.methods?.split(',') ?? [...new Set(CASES.map((c) => c.method))];
  console.log(`\ntensor: ${elements} elements (rows of 1024), best of ${runs} runs; M elements/s of output`);
  console.log(
    `${'method'.padEnd(17)}${pad('CPU ms', 10)}${pad('GPU ms', 10)}${pad('CPU M/s', 10)}${pad('GPU M/s', 10)}${pad('GPU/CPU', 9)}`,
  );
  for (const method of methods) {
    const r = await runBench(backend, method, elements, runs);
    console.log(
      `${method.padEnd(17)}${pad(r.cpuMs.toFixed(1), 10)}${pad(r.gpuMs.toFixed(1), 10)}` +
        `${pad(rate(r, r.cpuMs), 10)}${pad(rate(r, r.gpuMs), 10)}${pad((r.cpuMs / r.gpuMs).toFixed(2), 9)}`,
    );
  }
  console.log("\nprefer 'auto' (the studio's calibration, per merge method):");
  for (const method of methods) {
    const c = await calibrate(backend, method);
    const routes = routesFrom(c);
    console.log(
      `  ${method.padEnd(17)} chunks: ${routes.elementwise.padEnd(6)} (${ms(c.elementwise)}); whole tensors: ${routes.wholeTensor.padEnd(6)} (${ms(c.wholeTensor)})`,
    );
  }
  backend.dispose();
  return failed ? 1 : 0;
}

process.exitCode = await main();
