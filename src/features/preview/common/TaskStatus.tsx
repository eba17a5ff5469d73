/** A task's progress bar and Cancel button while it runs, its error when it failed. */
import type { TaskState } from './use-worker-task.ts';

export function TaskStatus<R>({
  state,
  onCancel,
  what,
}: {
  readonly state: TaskState<R>;
  readonly onCancel: () => void;
  /** "Analysis", "Sweep"... for the progress bar's label. */
  readonly what: string;
}) {
  if (state.status === 'running') {
    const p = state.progress;
    return (
      <div className="task-status row">
        <progress
          aria-label={`${what} progress`}
          {...(p && p.total > 0 ? { value: p.done, max: p.total } : {})}
        />
        <span className="muted">{p ? `${p.label} ${p.done} / ${p.total}` : 'Starting…'}</span>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    );
  }
  if (state.status === 'failed')
    return (
      <p className="task-error" role="alert">
        {state.error}
      </p>
    );
  if (state.status === 'cancelled') return <p className="muted">Cancelled.</p>;
  return null;
}
