/**
 * A running job's progress bar, its one line of where it is, and its log: the merge's, the MoE
 * build's and the LoRA extraction's. A failed or cancelled job's last numbers are stale (its
 * error says what happened), so only its log stays.
 */
import type { RunStatus } from '../stores/run-slice.ts';

export function JobProgress({
  status,
  label,
  fraction,
  text,
  logs,
}: {
  readonly status: RunStatus;
  /** The bar's accessible name: "Merge progress". */
  readonly label: string;
  readonly fraction: number;
  /** The line under the bar; none before the first report. */
  readonly text: string | undefined;
  readonly logs: readonly string[];
}) {
  if (status === 'idle') return null;
  const live = status === 'running' || status === 'cancelling' || status === 'done';
  return (
    <div className="run-progress">
      {live && (
        <progress max={1} value={fraction} aria-label={label}>
          {Math.round(fraction * 100)}%
        </progress>
      )}
      {live && text !== undefined && <p aria-live="polite">{text}</p>}
      {logs.length > 0 && (
        <details>
          <summary>Log ({logs.length} lines)</summary>
          <pre className="log">{logs.join('\n')}</pre>
        </details>
      )}
    </div>
  );
}
