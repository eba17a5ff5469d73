import { describe, expect, it } from 'vitest';
import type { MergeProgress } from '../../workers/protocol.ts';
import { progressText } from './progress-text.ts';

const base: MergeProgress = {
  phase: 'merging',
  tensorsDone: 0,
  tensorsTotal: 39,
  bytesRead: 0,
  bytesWritten: 0,
  bytesTotal: 1_609_984,
  elapsedMs: 1000,
  readMBps: 0,
  writeMBps: 0,
  warnings: 0,
};

describe('progressText', () => {
  it('before sizes are known: what happens, not "0 B of 0 B"', () => {
    expect(progressText({ ...base, phase: 'loading', bytesTotal: 0 }, 'running')).toBe(
      'reading the models’ headers…',
    );
    expect(progressText({ ...base, phase: 'planning', bytesTotal: 0 }, 'running')).toBe('planning…');
  });

  it('while the first inputs download: how much of the inputs has been read', () => {
    expect(
      progressText({ ...base, bytesRead: 1_200_000, bytesToRead: 4_800_000, readMBps: 0.4 }, 'running'),
    ).toBe('reading inputs · 1.2 MB of 4.8 MB read · read 0.4 MB/s, write 0.0 MB/s');
  });

  it('once tensors are written: tensors and bytes written', () => {
    expect(
      progressText(
        { ...base, tensorsDone: 3, bytesWritten: 800_000, etaMs: 4_000, currentTensor: 'lm_head.weight' },
        'running',
      ),
    ).toBe(
      '3 of 39 tensors · 800.0 kB of 1.6 MB · read 0.0 MB/s, write 0.0 MB/s · about 4.0 s left · lm_head.weight',
    );
  });
});
