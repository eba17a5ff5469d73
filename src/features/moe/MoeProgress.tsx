/** The running build: a progress bar with throughput, ETA and the current tensor; the log. */
import { progressText } from '../../shared/progress-text.ts';
import { useStudio } from '../../stores/store.ts';

export function MoeProgress() {
  const { status, progress: p, logs } = useStudio((s) => s.moeRun);
  if (status === 'idle') return null;
  // A failed or cancelled build's last numbers are stale: the error says what happened.
  const live = status === 'running' || status === 'cancelling' || status === 'done';
  const frac = p && p.bytesTotal > 0 ? Math.min(1, p.bytesWritten / p.bytesTotal) : 0;
  return (
    <div className="run-progress">
      {live && (
        <progress max={1} value={frac} aria-label="Build progress">
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
