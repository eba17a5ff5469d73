/** The running merge: a progress bar with throughput, ETA and the current tensor; the log. */
import { formatBytes, formatDuration } from '../../shared/format.ts';
import type { MergeProgress } from '../../../workers/protocol.ts';
import type { RunStatus } from '../../stores/run-slice.ts';
import { useStudio } from '../../stores/store.ts';

/** The progress line: what the merge is doing now, in words and bytes. */
export function progressText(p: MergeProgress, status: RunStatus): string {
  if (p.phase === 'loading') return 'reading the models’ headers…';
  if (p.phase === 'planning') return 'planning…';
  const rates = `read ${p.readMBps.toFixed(1)} MB/s, write ${p.writeMBps.toFixed(1)} MB/s`;
  // Before the first tensor is written the inputs are downloading: say how far that is.
  const what =
    p.phase === 'merging' && p.bytesWritten === 0 && p.tensorsDone === 0
      ? `reading inputs · ${formatBytes(p.bytesRead)}${p.bytesToRead ? ` of ${formatBytes(p.bytesToRead)}` : ''} read`
      : `${p.phase === 'merging' ? `${p.tensorsDone} of ${p.tensorsTotal} tensors` : p.phase} · ${formatBytes(p.bytesWritten)} of ${formatBytes(p.bytesTotal)}`;
  const eta = p.etaMs !== undefined && status === 'running' ? ` · about ${formatDuration(p.etaMs)} left` : '';
  return `${what} · ${rates}${eta}${p.currentTensor ? ` · ${p.currentTensor}` : ''}`;
}

export function RunProgress() {
  const status = useStudio((s) => s.runStatus);
  const p = useStudio((s) => s.progress);
  const logs = useStudio((s) => s.logs);
  if (status === 'idle') return null;
  // A failed or cancelled run's last numbers are stale: the error says what happened.
  const live = status === 'running' || status === 'cancelling' || status === 'done';
  const frac = p && p.bytesTotal > 0 ? Math.min(1, p.bytesWritten / p.bytesTotal) : 0;
  return (
    <div className="run-progress">
      {live && (
        <progress max={1} value={frac} aria-label="Merge progress">
          {Math.round(frac * 100)}%
        </progress>
      )}
      {live && p && <p aria-live="polite">{progressText(p, status)}</p>}
      {logs.length > 0 && (
        <details>
          <summary>Log ({logs.length} lines)</summary>
          <pre className="log">{logs.join('\n')}</pre>
        </details>
      )}
    </div>
  );
}
