/**
 * The types the engine shares with the UI and the CLI: progress, results, summaries. Nothing
 * here holds tensors; the UI only ever receives these small objects.
 */

export type MergePhase = 'loading' | 'planning' | 'merging' | 'finishing' | 'done';

export interface MergeProgress {
  readonly phase: MergePhase;
  readonly tensorsDone: number;
  readonly tensorsTotal: number;
  readonly bytesRead: number;
  /** Input tensor bytes of the whole plan (known after planning; a resumed job reads less). */
  readonly bytesToRead?: number;
  readonly bytesWritten: number;
  /** Bytes the whole job will write (known after planning). */
  readonly bytesTotal: number;
  readonly currentTensor?: string;
  readonly elapsedMs: number;
  /** Estimated time left, from the output bytes written so far. */
  readonly etaMs?: number;
  readonly readMBps: number;
  readonly writeMBps: number;
  readonly warnings: number;
}

export interface OutputFileInfo {
  readonly path: string;
  readonly size: number;
}

/** Per output tensor: how far the merge moved it from the base (for the result chart). */
export interface TensorChange {
  readonly name: string;
  readonly layer?: number;
  /** ||out - base|| / ||base||, when the method has a base. */
  readonly relativeChange?: number;
  readonly norm: number;
}

export interface MergeResult {
  readonly files: readonly OutputFileInfo[];
  readonly tensors: number;
  readonly layers: number;
  readonly bytesRead: number;
  /** Input tensor bytes of the whole plan (known after planning; a resumed job reads less). */
  readonly bytesToRead?: number;
  readonly bytesWritten: number;
  /** HTTP range requests (or file reads) made for tensor data. */
  readonly readRequests: number;
  readonly elapsedMs: number;
  readonly warnings: readonly string[];
  readonly changes: readonly TensorChange[];
  /** Shards found complete from an earlier run and not recomputed. */
  readonly resumedShards: number;
  /** Where the time went: waiting for input bytes, merging (decode, kernel, encode), waiting for the disk. */
  readonly timings: Readonly<MergeTimings>;
}

/** Where a merge's time went (MergeResult.timings). */
export interface MergeTimings {
  readWaitMs: number;
  computeMs: number;
  writeWaitMs: number;
  /**
   * Compute lanes, summed over lanes: time merging parts, and time waiting for the merge
   * worker at the statistics barriers and for written pieces.
   */
  lanesBusyMs?: number;
  lanesSyncWaitMs?: number;
  lanesWriteWaitMs?: number;
}
