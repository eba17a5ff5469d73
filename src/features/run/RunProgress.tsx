/** The running merge: a progress bar with throughput, ETA and the current tensor; the log. */
import { formatBytes, formatDuration } from '../../shared/format.ts';
import { useStudio } from '../../stores/store.ts';

export function RunProgress() {
  const status = useStudio((s) => s.runStatus);
  const p = useStudio((s) => s.progress);
  const logs = useStudio((s) => s.logs);
  if (status === 'idle') return null;
  const frac = p && p.bytesTotal > 0 ? Math.min(1, p.bytesWritten / p.bytesTotal) : 0;
  return (
    <div className="run-progress">
      <progress max={1} value={frac} aria-label="Merge progress">
        {Math.round(frac * 100)}%
      </progress>
      {p && (
        <p aria-live="polite">
          {p.phase === 'merging' ? `${p.tensorsDone} of ${p.tensorsTotal} tensors` : p.phase} ·{' '}
          {formatBytes(p.bytesWritten)} of {formatBytes(p.bytesTotal)} · read {p.readMBps.toFixed(1)} MB/s,
          write {p.writeMBps.toFixed(1)} MB/s
          {p.etaMs !== undefined && status === 'running' ? ` · about ${formatDuration(p.etaMs)} left` : ''}
          {p.currentTensor ? ` · ${p.currentTensor}` : ''}
        </p>
      )}
      {logs.length > 0 && (
        <details>
          <summary>Log ({logs.length} lines)</summary>
          <pre className="log">{logs.join('\n')}</pre>
        </details>
      )}
    </div>
  );
}
