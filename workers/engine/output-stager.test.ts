import { describe, expect, it } from 'vitest';
import { OutputStager, spareStages } from './output-stager.ts';

/** 5M float32 values in chunks of 1M: 10 MB of BF16, more than one 8 MB staging buffer. */
const N = 5 * 1024 * 1024;
const values = Float32Array.from({ length: N }, (_, i) => (i % 1000) / 7 - 60);

function stageAll(stager: OutputStager): void {
  for (let s = 0; s < N; s += 1 << 20) stager.push(s, values.subarray(s, Math.min(N, s + (1 << 20))));
}

async function whole(): Promise<Uint8Array> {
  const s = new OutputStager(N, 'BF16');
  stageAll(s);
  await s.finish();
  return s.whole!;
}

describe('OutputStager', () => {
  it('streams pieces that add up to the whole encoding', async () => {
    const file = new Uint8Array(N * 2);
    const s = new OutputStager(N, 'BF16', (offset, bytes) => {
      file.set(bytes, offset);
      return Promise.resolve();
    });
    stageAll(s);
    await s.finish();
    expect(Buffer.compare(file, await whole())).toBe(0);
  });

  it('reuses a staging buffer only after its write has finished', async () => {
    const expected = await whole();
    const file = new Uint8Array(N * 2);
    // A slow writer that reads the bytes only when it completes, as an asynchronous sink may.
    const slow = (offset: number, bytes: Uint8Array): Promise<void> =>
      new Promise((resolve) =>
        setTimeout(() => {
          file.set(bytes, offset);
          resolve();
        }, 5),
      );
    for (let round = 0; round < 3; round++) {
      file.fill(0);
      const s = new OutputStager(N, 'BF16', slow);
      stageAll(s);
      await s.finish();
      expect(Buffer.compare(file, expected)).toBe(0);
    }
    expect(spareStages()).toBeGreaterThan(0);
    expect(spareStages()).toBeLessThanOrEqual(4);
  });

  it('stages a whole tensor through one buffer when the writer finishes before returning', async () => {
    const file = new Uint8Array(N * 2);
    const buffers = new Set<ArrayBufferLike>();
    const s = new OutputStager(N, 'BF16', (offset, bytes) => {
      file.set(bytes, offset);
      buffers.add(bytes.buffer);
      return undefined;
    });
    stageAll(s);
    await s.finish();
    expect(Buffer.compare(file, await whole())).toBe(0);
    expect(buffers.size).toBe(1);
  });
});
