/**
 * The WebGPU test page: exposes `window.webgpuHarness` (api.ts) to the Playwright specs and to
 * scripts/bench-gpu.ts. Engine modules are imported straight from workers/ (Vite serves the
 * repository), exactly as the studio's worker would.
 */
import { selectBackend } from '../../../workers/backends/select-backend.ts';
import { createWebGpuBackend, type WebGpuBackend } from '../../../workers/backends/webgpu/webgpu-backend.ts';
import type { WebGpuHarness } from './api.ts';
import { CASES, LARGE_CASES } from './cases.ts';
import { checkCodecs } from './codecs-check.ts';
import { GOLDEN_RECIPES, runDeviceLost, runGolden } from './golden.ts';
import { runBench, runParity } from './parity.ts';

const backends = new Map<number, Promise<WebGpuBackend>>();

/** A fresh adapter: each can create only one device. */
async function getAdapter(): Promise<GPUAdapter> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter in this browser');
  return adapter;
}

/** One backend per binding cap (0: the device's own limit), reused across calls. */
function backend(maxBindingBytes = 0): Promise<WebGpuBackend> {
  let b = backends.get(maxBindingBytes);
  if (!b) {
    b = getAdapter().then((a) => createWebGpuBackend(a, maxBindingBytes > 0 ? { maxBindingBytes } : {}));
    backends.set(maxBindingBytes, b);
  }
  return b;
}

const harness: WebGpuHarness = {
  async adapterInfo() {
    const a = (await navigator.gpu?.requestAdapter()) ?? null;
    if (!a) return null;
    const i = a.info;
    return [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unknown';
  },
  caseNames: (large = false) => (large ? LARGE_CASES : CASES).map((c) => c.name),
  async parity(name, maxBindingBytes = 0) {
    const b = await backend(maxBindingBytes);
    return runParity(b, name, () => b.context.lastSegments);
  },
  async codecs(dtype, maxBindingBytes = 0) {
    return checkCodecs((await backend(maxBindingBytes)).context, dtype);
  },
  goldenNames: () => Promise.resolve([...GOLDEN_RECIPES]),
  async golden(recipe, maxBindingBytes = 0) {
    return runGolden(recipe, await backend(maxBindingBytes));
  },
  async deviceLost() {
    return runDeviceLost(async () => createWebGpuBackend(await getAdapter()));
  },
  async select(prefer, calibrateSoftware = false) {
    const b = await selectBackend({ prefer, softwareAdapter: calibrateSoftware ? 'calibrate' : 'skip' });
    const report = { name: b.name, reason: b.selection.reason, routes: { ...b.selection.routes } };
    b.dispose();
    return report;
  },
  async bench(method, elements, runs) {
    return runBench(await backend(), method, elements, runs);
  },
};

(window as unknown as { webgpuHarness: WebGpuHarness }).webgpuHarness = harness;
document.body.dataset['ready'] = 'true';
