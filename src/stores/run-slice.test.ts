/** The run slice: the result keeps its own folder; a failed or cancelled run drops its progress. */
import { describe, expect, it } from 'vitest';
import type { MergeProgress, MergeResult } from '../../workers/protocol.ts';
import { cleanOutputName } from './run-slice.ts';
import { useStudio } from './store.ts';

const s = () => useStudio.getState();

const progress: MergeProgress = {
  phase: 'merging',
  tensorsDone: 3,
  tensorsTotal: 39,
  bytesRead: 1000,
  bytesWritten: 500,
  bytesTotal: 5000,
  elapsedMs: 10,
  readMBps: 1,
  writeMBps: 1,
  warnings: 0,
};

describe('run slice', () => {
  it('a finished merge keeps the folder it wrote to when the name box changes', () => {
    s().setRunOptions({ outputName: 'demo-out' });
    s().runStarted('browser storage (download the files below)', 'merges/demo-out');
    s().runFinished({ files: [] } as unknown as MergeResult);
    s().setRunOptions({ outputName: 'other-name' });
    expect(s().savedFolder).toBe('merges/demo-out');
    s().runStarted('the folder “x”');
    expect(s().savedFolder).toBeUndefined();
  });

  it('a cancelled or failed run clears its last progress numbers', () => {
    for (const cancelled of [true, false]) {
      s().runStarted('the folder “x”');
      s().runProgress(progress);
      s().runFailed('stopped', cancelled);
      expect(s().progress).toBeUndefined();
      expect(s().runStatus).toBe(cancelled ? 'cancelled' : 'failed');
    }
  });

  it('the name box may be emptied (the default applies only when a merge starts)', () => {
    expect(cleanOutputName('')).toBe('');
    expect(cleanOutputName('a/b:c')).toBe('a-b-c');
    s().setRunOptions({ outputName: cleanOutputName('') });
    expect(s().runOptions.outputName).toBe('');
  });
});
