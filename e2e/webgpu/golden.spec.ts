/**
 * The 20 golden recipes through the real engine (runMerge) in the page, CPU backend vs the
 * WebGPU backend behind the CPU-fallback wrapper: every output tensor within the method's
 * tolerance, the same warnings, and no tensor handed back to the CPU.
 */
import type { WebGpuHarness } from './harness/api.ts';
import { GOLDEN_RECIPES } from './harness/golden.ts';
import { expect, NO_ADAPTER, test } from './fixtures.ts';

type Win = { webgpuHarness: WebGpuHarness };

for (const recipe of GOLDEN_RECIPES) {
  test(`golden ${recipe}`, async ({ harness }) => {
    test.skip(!harness.adapter, NO_ADAPTER);
    const r = await harness.page.evaluate(
      (name) => (window as unknown as Win).webgpuHarness.golden(name),
      recipe,
    );
    expect(r.failures).toEqual([]);
    expect(r.gpuWarnings).toEqual(r.cpuWarnings);
    expect(r.handedBack, 'tensors the GPU handed to the CPU').toBe(0);
    expect(r.gpuTensors).toBe(r.tensors);
    test.info().annotations.push({
      type: 'golden',
      description: `${recipe} (${r.method}): ${r.tensors} tensors, worst ${r.worstUlps} ulps / ${r.worstNormwise.toExponential(2)} normwise, ${r.failingElements} elements past tolerance; CPU ${r.cpuMs.toFixed(0)} ms, GPU ${r.gpuMs.toFixed(0)} ms`,
    });
  });
}

test('golden della-linear with 1 KB bindings: rows too long for the GPU go to the CPU', async ({
  harness,
}) => {
  test.skip(!harness.adapter, NO_ADAPTER);
  const r = await harness.page.evaluate(() =>
    (window as unknown as Win).webgpuHarness.golden('della-linear', 1024),
  );
  expect(r.failures).toEqual([]);
  expect(r.gpuWarnings).toEqual(r.cpuWarnings);
  expect(r.handedBack).toBe(r.tensors); // every row (128 or 352 values) needs more than 1 KB
});
