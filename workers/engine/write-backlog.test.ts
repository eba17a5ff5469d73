/**
 * With an asynchronous writer (createWritable in a picked folder, files in Node), the kernel
 * waits at its pauses while more than one output write is in flight, so a large tensor's
 * output is never staged whole in memory; the bytes are the same as with a writer that
 * finishes at once. Without the wait, bench:browser's peak grew by ~90 MB (docs/browser.md).
 */
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../backends/cpu/cpu-backend.ts';
import { encodeFromF32 } from '../io/dtypes.ts';
import { MERGEKIT_COMPAT } from '../methods/types.ts';
import { mix32 } from '../rng.ts';
import { computeTensor } from './compute-tensor.ts';
import { OutputStager } from './output-stager.ts';
import { plannedLayerTensor } from './test-helpers.ts';

const ROWS = 5120;
const COLS = 4099; // 21 M elements: 42 MB of BF16 output, six staging buffers
const N = ROWS * COLS;

const bf16 = (seed: number, around?: Float32Array): [Uint8Array, Float32Array] => {
  const f = Float32Array.from({ length: N }, (_, i) => {
    const h = mix32(i ^ mix32(seed));
    return (around ? around[i]! : 0) + ((h % 41) - 20) / 1024;
  });
  return [encodeFromF32(f, 'BF16'), f];
};
const [baseBytes, baseValues] = bf16(1);
const inputs = [2, 3].map((s) => bf16(s, baseValues)[0]);

/** Merges with a writer whose writes settle `delayMs` later; the file and the most in flight. */
async function merge(
  method: string,
  delayMs: number | undefined,
): Promise<{ file: Uint8Array; most: number }> {
  const t = plannedLayerTensor(method, [ROWS, COLS], ['BF16', 'BF16'], (name) =>
    name === 'weight' ? 0.5 : name === 'density' ? 0.5 : undefined,
  );
  const file = new Uint8Array(N * 2);
  let inFlight = 0;
  let most = 0;
  await computeTensor(t, method, baseBytes, [...inputs], {
    backend: cpuBackend,
    computeDtype: 'F32',
    seed: 1,
    compat: MERGEKIT_COMPAT,
    warn: () => undefined,
    write: (offset, bytes) => {
      if (delayMs === undefined) return void file.set(bytes, offset);
      most = Math.max(most, ++inFlight);
      return new Promise((resolve) =>
        setTimeout(() => {
          file.set(bytes, offset); // read only when settling, as an asynchronous sink may
          inFlight--;
          resolve();
        }, delayMs),
      );
    },
  });
  return { file, most };
}

describe('output writes in flight', () => {
  for (const method of ['ties', 'linear']) {
    it(`${method}: at most two staging buffers out at once, the same bytes`, async () => {
      const sync = await merge(method, undefined);
      const slow = await merge(method, 100);
      expect(Buffer.compare(slow.file, sync.file)).toBe(0);
      expect(slow.most).toBeGreaterThan(1);
      expect(slow.most).toBeLessThanOrEqual(2);
    });
  }

  it('backlog() settles once no more than `max` writes are in flight', async () => {
    const releases: (() => void)[] = [];
    const s = new OutputStager(3 << 22, 'BF16', () => new Promise<void>((r) => releases.push(r)));
    for (let i = 0; i < 3; i++) s.push(i << 22, new Float32Array(1 << 22)); // three full 8 MB stages
    expect(releases.length).toBe(3);
    expect(s.backlog(3)).toBeUndefined();
    let settled = false;
    const wait = s.backlog(1)!.then(() => (settled = true));
    releases.shift()!();
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false); // two still in flight
    releases.shift()!();
    await wait;
    expect(settled).toBe(true);
    releases.shift()!();
    await s.finish();
  });
});
