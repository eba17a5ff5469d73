/** The running extraction: a progress bar of modules, the line that says where it is, and the log. */
import { useStudio } from '../../stores/store.ts';
import { loraProgressText } from './lora-progress-text.ts';

export function LoraProgress() {
  const { status, progress: p, logs } = useStudio((s) => s.loraRun);
  if (status === 'idle') return null;
  // A failed or cancelled run's last numbers are stale: the error says what happened.
  const live = status === 'running' || status === 'cancelling' || status === 'done';
  const frac = p && p.modulesTotal > 0 ? Math.min(1, p.modulesDone / p.modulesTotal) : 0;
  return (
    <div className="run-progress">
      {live && (
        <progress max={1} value={frac} aria-label="Extraction progress">
          {Math.round(frac * 100)}%
        </progress>
      )}
      {live && <p aria-live="polite">{loraProgressText(p, status)}</p>}
      {logs.length > 0 && (
        <details>
          <summary>Log ({logs.length} lines)</summary>
          <pre className="log">{logs.join('\n')}</pre>
        </details>
      )}
    </div>
  );
}
