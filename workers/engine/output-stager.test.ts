import { describe, expect, it } from 'vitest';
import { OutputStager } from './output-stager.ts';

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
});
