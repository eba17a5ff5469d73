/** The merge run: options, status, progress numbers, log lines, and the result summary. */
import type { StateCreator } from 'zustand';
import type { MergeProgress, MergeResult } from '../../workers/protocol.ts';
import type { SaveTarget } from '../../workers/runtime/requests.ts';
import { appendLog } from './job-run.ts';
import type { StudioState } from './store.ts';

export type RunStatus = 'idle' | 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled';

/** The output folder's name when the name box is left empty (used when a merge starts). */
export const DEFAULT_OUTPUT_NAME = 'merged-model';

/** The name box's text as a folder name: characters no file system takes become '-'; may be empty. */
export function cleanOutputName(text: string): string {
  return text.replace(/[\\/:*?"<>|]/g, '-');
}

export interface RunOptions {
  /** As typed: may be empty while editing (a merge then uses DEFAULT_OUTPUT_NAME). */
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
  /**
   * The browser-storage (OPFS) folder the last merge wrote, for its downloads: the merge's own
   * folder, not the name box, which may have changed since (or been restored by a resume).
   */
  readonly savedFolder: string | undefined;
  /** Where the last merge was saved, for publishing its result. */
  readonly savedTarget: SaveTarget | undefined;
  setRunOptions(o: Partial<RunOptions>): void;
  runStarted(savedTo: string, savedFolder?: string, target?: SaveTarget): void;
  runProgress(p: MergeProgress): void;
  runLog(line: string): void;
  runFinished(r: MergeResult): void;
  runFailed(message: string, cancelled: boolean): void;
  runCancelling(): void;
}

export const createRunSlice: StateCreator<StudioState, [], [], RunSlice> = (set) => ({
  runOptions: { outputName: DEFAULT_OUTPUT_NAME, shardBytes: 5_000_000_000, seed: 0, backend: 'auto' },
  runStatus: 'idle',
  progress: undefined,
  logs: [],
  result: undefined,
  runError: undefined,
  savedTo: undefined,
  savedFolder: undefined,
  savedTarget: undefined,
  setRunOptions: (o) => set((s) => ({ runOptions: { ...s.runOptions, ...o } })),
  runStarted: (savedTo, savedFolder, savedTarget) =>
    set({
      savedTarget,
      runStatus: 'running',
      progress: undefined,
      logs: [],
      result: undefined,
      runError: undefined,
      savedTo,
      savedFolder,
    }),
  runProgress: (progress) => set({ progress }),
  runLog: (line) => set((s) => ({ logs: appendLog(s.logs, line) })),
  runFinished: (result) => set({ runStatus: 'done', result }),
  // The last progress line describes a run that no longer goes on: dropped, not left under the error.
  runFailed: (runError, cancelled) =>
    set({ runStatus: cancelled ? 'cancelled' : 'failed', runError, progress: undefined }),
  runCancelling: () => set({ runStatus: 'cancelling' }),
});
