/**
 * Progress events of a MoE build in a merge's shape (MergeProgress), so that the CLI's progress
 * bar and the studio's views serve both.
 */
import type { ReaderStats } from '../engine/tensor-reader.ts';
import type { MergeProgress } from '../protocol.ts';

/** Progress events in the merge's shape, so the CLI's progress bar serves both. */
export interface ProgressEmitter {
  readonly bytesTotal: number;
  /** The job's size, once planned. */
  total(tensors: number, bytes: number): void;
  /** Tensors written (or found complete), their bytes, and the last one's name. */
  wrote(tensors: number, bytes: number, current?: string): void;
  emit(phase: MergeProgress['phase'], force?: boolean, current?: string): void;
}

/** Events at most every 100 ms, unless forced (a phase change). */
export function progressEmitter(
  onProgress: ((p: MergeProgress) => void) | undefined,
  started: number,
  stats: ReaderStats,
  warningCount: () => number,
): ProgressEmitter {
  let tensorsTotal = 0;
  let done = 0;
  let written = 0;
  let last = 0;
  const self: ProgressEmitter & { bytesTotal: number } = {
    bytesTotal: 0,
    total(tensors: number, bytes: number): void {
      tensorsTotal = tensors;
      self.bytesTotal = bytes;
    },
    wrote(tensors: number, bytes: number, current?: string): void {
      done += tensors;
      written += bytes;
      self.emit('merging', false, current);
    },
    emit(phase: MergeProgress['phase'], force = false, current?: string): void {
      const now = Date.now();
      if (!onProgress || (!force && now - last < 100)) return;
      last = now;
      const elapsed = now - started;
      const secs = Math.max(elapsed / 1000, 1e-3);
      onProgress({
        phase,
        tensorsDone: done,
        tensorsTotal,
        bytesRead: stats.bytes,
        bytesWritten: written,
        bytesTotal: self.bytesTotal,
        ...(current !== undefined && { currentTensor: current }),
        elapsedMs: elapsed,
        ...(written > 0 &&
          self.bytesTotal > 0 && { etaMs: (elapsed * (self.bytesTotal - written)) / written }),
        readMBps: stats.bytes / 1e6 / secs,
        writeMBps: written / 1e6 / secs,
        warnings: warningCount(),
      });
    },
  };
  return self;
}
