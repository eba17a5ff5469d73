/**
 * GPU vs CPU on seeded random tensors: every method, each case at the device's binding limit
 * and again with bindings capped at 16 KB so tensors run in several chunks. Tolerances:
 * workers/backends/webgpu/tolerances.ts (docs/webgpu.md).
 */
import type { ParityReport, WebGpuHarness } from './harness/api.ts';
import { CASES, LARGE_CASES } from './harness/cases.ts';
import { expect, NO_ADAPTER, test } from './fixtures.ts';

type Win = { webgpuHarness: WebGpuHarness };

function check(r: ParityReport): void {
  const detail = JSON.stringify({ ...r, cpuWarnings: undefined, gpuWarnings: undefined });
  expect(r.inputsIntact, 'the GPU run must leave inputs and base untouched').toBe(true);
  expect(r.gpuWarnings).toEqual(r.cpuWarnings);
  expect(r.failing, detail).toBeLessThanOrEqual(r.allowedFailing);
  test.info().annotations.push({
    type: 'parity',
    description: `${r.name}: n=${r.n} segments=${r.segments} maxUlps=${r.maxUlps} maxNormwise=${r.maxNormwise.toExponential(2)} failing=${r.failing}`,
  });
}

for (const c of CASES) {
  for (const cap of [0, 16 * 1024]) {
    test(`${c.name}${cap ? ' (16 KB bindings)' : ''}`, async ({ harness }) => {
      test.skip(!harness.adapter, NO_ADAPTER);
      const r = await harness.page.evaluate(
        ([name, bytes]) => (window as unknown as Win).webgpuHarness.parity(name, bytes),
        [c.name, cap] as const,
      );
      check(r);
      const n = c.shape.reduce((a, b) => a * b, 1);
      if (cap && n * 4 * (c.models + 2) > 2 * cap) expect(r.segments).toBeGreaterThan(1);
    });
  }
}

for (const c of LARGE_CASES) {
  test(`${c.name} (over 1e6 elements)`, async ({ harness }) => {
    test.skip(!harness.adapter, NO_ADAPTER);
    test.setTimeout(180_000);
    const r = await harness.page.evaluate(
      (name) => (window as unknown as Win).webgpuHarness.parity(name),
      c.name,
    );
    check(r);
  });
}
