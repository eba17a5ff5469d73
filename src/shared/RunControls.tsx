/**
 * The controls the merge's, the MoE build's and the LoRA extraction's run panels share: the
 * output folder's name, the largest shard, the start button with Cancel beside it while the
 * job runs, and the job's error. They render no wrapper of their own, so each panel places
 * them in its own grid (`run-options`) as before; the ids derive from the panel's `useId`.
 */
import type { ReactNode } from 'react';
import { cleanOutputName, type RunStatus } from '../stores/run-slice.ts';

/** A job is under way until it ends, cancelling included (its writes have not stopped yet). */
export function isBusy(status: RunStatus): boolean {
  return status === 'running' || status === 'cancelling';
}

export function OutputNameField({
  id,
  value,
  busy,
  placeholder,
  hint,
  onChange,
}: {
  readonly id: string;
  readonly value: string;
  readonly busy: boolean;
  /** The name an empty box gives. */
  readonly placeholder: string;
  /** A line under the box, which describes it. */
  readonly hint?: string | undefined;
  /** Gets the text as a folder name (cleanOutputName). */
  readonly onChange: (name: string) => void;
}) {
  return (
    <>
      <label htmlFor={`${id}-name`}>Output folder name</label>
      <input
        id={`${id}-name`}
        value={value}
        // The running job writes to the folder it started with: renaming waits for it.
        disabled={busy}
        placeholder={placeholder}
        aria-describedby={hint ? `${id}-name-hint` : undefined}
        onChange={(e) => onChange(cleanOutputName(e.target.value))}
      />
      {hint && (
        <p id={`${id}-name-hint`} className="field-hint">
          {hint}
        </p>
      )}
    </>
  );
}

/** mergekit's --out-shard-size choices, its default among them. */
const SHARD_CHOICES = [
  { label: '1 GB', bytes: 1e9 },
  { label: '2 GB', bytes: 2e9 },
  { label: '5 GB (mergekit default)', bytes: 5e9 },
  { label: '10 GB', bytes: 10e9 },
];

export function ShardSizeField({
  id,
  value,
  onChange,
}: {
  readonly id: string;
  readonly value: number;
  readonly onChange: (bytes: number) => void;
}) {
  return (
    <>
      <label htmlFor={`${id}-shard`}>Largest shard</label>
      <select id={`${id}-shard`} value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {SHARD_CHOICES.map((c) => (
          <option key={c.bytes} value={c.bytes}>
            {c.label}
          </option>
        ))}
      </select>
    </>
  );
}

export function RunButtons({
  label,
  status,
  blocked,
  onStart,
  onCancel,
  children,
}: {
  /** "Choose folder and merge" or "Merge": the folder picker opens on its click. */
  readonly label: string;
  readonly status: RunStatus;
  /** Something must be fixed first (said beside or under the buttons). */
  readonly blocked: boolean;
  readonly onStart: () => void;
  readonly onCancel: () => void;
  /** Shown between the two buttons. */
  readonly children?: ReactNode;
}) {
  const busy = isBusy(status);
  return (
    <div className="row">
      <button type="button" className="primary" disabled={busy || blocked} onClick={onStart}>
        {label}
      </button>
      {children}
      {busy && (
        // A second Cancel while the first is honoured would do nothing: it waits.
        <button type="button" onClick={onCancel} disabled={status === 'cancelling'}>
          Cancel
        </button>
      )}
    </div>
  );
}

/** How the last job ended badly: a cancel is a notice, a failure an error; both are announced. */
export function RunError({
  status,
  error,
}: {
  readonly status: RunStatus;
  readonly error: string | undefined;
}) {
  if (!error) return null;
  return (
    <p className={status === 'cancelled' ? 'notice' : 'field-error'} role="alert">
      {error}
    </p>
  );
}
