/** The merge run: options, status, progress numbers, log lines, and the result summary. */
import type { StateCreator } from 'zustand';
import type { MergeProgress, MergeResult } from '../../workers/protocol.ts';
import type { StudioState } from './store.ts';

export type RunStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled';

export interface RunOptions {
  readonly outputName: string;
  /** Largest shard in bytes (mergekit's --out-shard-size). */
  readonly shardBytes: number;
  readonly seed: number;
  readonly backend: 'auto' | 'cpu' | 'webgpu';
}

export interface RunSlice {
  readonly runOptions: RunOptions;
  readonly runStatus: RunStatus;
  readonly progress: MergeProgress | undefined;
  readonly logs: readonly string[];
  readonly result: MergeResult | undefined;
  readonly runError: string | undefined;
  /** Where the last merge was saved, for the summary ("folder X" or "browser storage"). */
  readonly savedTo: string | undefined;
  setRunOptions(o: Partial<RunOptions>): void;
  runStarted(savedTo: string): void;
  runProgress(p: MergeProgress): void;
  runLog(line: string): void;
  runFinished(r: MergeResult): void;
  runFailed(message: string, cancelled: boolean): void;
  runCancelling(): void;
}

const MAX_LOG = 200;

export const createRunSlice: StateCreator<StudioState, [], [], RunSlice> = (set) => ({
  runOptions: { outputName: 'merged-model', shardBytes: 5_000_000_000, seed: 0, backend: 'auto' },
  runStatus: 'idle',
  progress: undefined,
  logs: [],
  result: undefined,
  runError: undefined,
  savedTo: undefined,
  setRunOptions: (o) => set((s) => ({ runOptions: { ...s.runOptions, ...o } })),
  runStarted: (savedTo) =>
    set({
      runStatus: 'running',
      progress: undefined,
      logs: [],
      result: undefined,
      runError: undefined,
      savedTo,
    }),
  runProgress: (progress) => set({ progress }),
  runLog: (line) => set((s) => ({ logs: [...s.logs.slice(-(MAX_LOG - 1)), line] })),
  runFinished: (result) => set({ runStatus: 'done', result }),
  runFailed: (runError, cancelled) => set({ runStatus: cancelled ? 'cancelled' : 'failed', runError }),
  runCancelling: () => set({ runStatus: 'cancelling' }),
});
