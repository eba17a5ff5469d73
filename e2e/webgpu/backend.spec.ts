/**
 * The backend around the kernels: WGSL codecs against the CPU codecs, a device lost in the
 * middle of a merge, and backend selection, which also runs (and must pick the CPU) where the
 * browser has no WebGPU.
 */
import type { WebGpuHarness } from './harness/api.ts';
import { expect, NO_ADAPTER, test } from './fixtures.ts';

type Win = { webgpuHarness: WebGpuHarness };

for (const dtype of ['BF16', 'F16'] as const) {
  for (const cap of [0, 64 * 1024]) {
    test(`${dtype} unpack and pack match the CPU codecs${cap ? ' (64 KB chunks)' : ''}`, async ({
      harness,
    }) => {
      test.skip(!harness.adapter, NO_ADAPTER);
      const r = await harness.page.evaluate(
        ([d, bytes]) => (window as unknown as Win).webgpuHarness.codecs(d, bytes),
        [dtype, cap] as const,
      );
      expect(r.decodeMismatches).toBe(0);
      expect(r.encodeMismatches).toBe(0);
      if (cap) expect(r.chunks).toBeGreaterThan(1);
    });
  }
}

test('a device lost mid-merge: the job finishes on the CPU with the same output', async ({ harness }) => {
  test.skip(!harness.adapter, NO_ADAPTER);
  const r = await harness.page.evaluate(() => (window as unknown as Win).webgpuHarness.deviceLost());
  expect(r.matchesCpu).toBe(true);
  expect(r.tensors).toBe(39);
  expect(r.gpuTensorsBeforeLoss).toBe(4);
  expect(r.gpuCalls, 'no GPU call after the loss').toBe(5);
  expect(r.cpuTensorsAfter).toBeGreaterThanOrEqual(1); // the interrupted one, re-run
  expect(r.backendNameAfter).toBe('cpu');
  expect(r.warnings.some((w) => /the GPU device was lost .*; the merge continues on the CPU/.test(w))).toBe(
    true,
  );
});

test('prefer cpu: the CPU, whatever the browser has', async ({ harness }) => {
  const r = await harness.page.evaluate(() => (window as unknown as Win).webgpuHarness.select('cpu'));
  expect(r.name).toBe('cpu');
});

test('prefer auto: the CPU without an adapter or with a software one', async ({ harness }) => {
  const r = await harness.page.evaluate(() => (window as unknown as Win).webgpuHarness.select('auto'));
  expect(r.name).toBe('cpu');
  expect(r.reason).toMatch(harness.adapter ? /software one \(google swiftshader/ : /no adapter/);
});

test('prefer auto, calibrating even a software adapter: timed on both backends', async ({ harness }) => {
  test.skip(!harness.adapter, NO_ADAPTER);
  test.setTimeout(120_000);
  const r = await harness.page.evaluate(() => (window as unknown as Win).webgpuHarness.select('auto', true));
  test.info().annotations.push({ type: 'selection', description: r.reason });
  expect(r.reason).toMatch(/linear: GPU [\d.]+ ms, CPU [\d.]+ ms; ties: GPU [\d.]+ ms, CPU [\d.]+ ms/);
});

test('prefer webgpu: the GPU where there is one, a clear error where not', async ({ harness }) => {
  const run = harness.page.evaluate(() => (window as unknown as Win).webgpuHarness.select('webgpu'));
  if (!harness.adapter) {
    await expect(run).rejects.toThrow(/WebGPU is not available here/);
  } else {
    const r = await run;
    expect(r.name).toBe('webgpu');
    expect(r.routes).toEqual({ elementwise: 'webgpu', wholeTensor: 'webgpu' });
  }
});
