/**
 * A job's run as the MoE build and the LoRA extraction keep it (one object per tool, so
 * switching tools loses nothing), and the transitions both make alike: progress, log, done,
 * failed or cancelled, cancelling. Each slice keeps its own start (what a run records differs)
 * and hands its own updater in, so the transitions never name a slice's key. The merge's run
 * predates this and lives flat on the store (run-slice.ts); only its log cap is shared.
 */
import type { SaveTarget } from '../../workers/runtime/requests.ts';
import type { RunStatus } from './run-slice.ts';

export interface JobRun<P, R> {
  readonly status: RunStatus;
  readonly progress: P | undefined;
  readonly logs: readonly string[];
  readonly result: R | undefined;
  readonly error: string | undefined;
  /** Where the job was saved, for the summary ("the folder X" or "browser storage"). */
  readonly savedTo: string | undefined;
  /** The browser-storage (OPFS) folder the job wrote, for its downloads. */
  readonly savedFolder: string | undefined;
  /** Where the job was saved, for publishing its result. */
  readonly savedTarget?: SaveTarget | undefined;
}

/** No run yet: `never` fits every tool's progress and result. */
export const IDLE_RUN: JobRun<never, never> = {
  status: 'idle',
  progress: undefined,
  logs: [],
  result: undefined,
  error: undefined,
  savedTo: undefined,
  savedFolder: undefined,
};

/** Lines kept in a run's log: a long job's chatter must not grow the store without end. */
const MAX_LOG = 200;

/** `logs` with `line` added, the oldest dropped past MAX_LOG. */
export function appendLog(logs: readonly string[], line: string): string[] {
  return [...logs.slice(-(MAX_LOG - 1)), line];
}

/** Merges the returned fields into the slice's run (`set` over its key). */
export type RunUpdater<P, R> = (f: (run: JobRun<P, R>) => Partial<JobRun<P, R>>) => void;

export function jobRunTransitions<P, R>(update: RunUpdater<P, R>) {
  return {
    progress: (progress: P): void => update(() => ({ progress })),
    log: (line: string): void => update((r) => ({ logs: appendLog(r.logs, line) })),
    finished: (result: R): void => update(() => ({ status: 'done', result })),
    // The last progress line describes a job that no longer goes on: dropped, not left under the error.
    failed: (error: string, cancelled: boolean): void =>
      update(() => ({ status: cancelled ? 'cancelled' : 'failed', error, progress: undefined })),
    cancelling: (): void => update(() => ({ status: 'cancelling' })),
  };
}
