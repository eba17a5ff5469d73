/**
 * The run panel of a tool whose settings sit in the middle column (Extract LoRA, Transplant
 * tokenizer): the link's error, the output folder's name, the tool's plan, where the files go
 * (a folder the user picks, else browser storage), the start button with Cancel, why it waits, progress, the error and the result. Each tool passes its
 * own parts; the layout, and what a busy job disables, are the same for all.
 */
import { useId, type ReactNode } from 'react';
import { canPickFolders } from '../engine/save-target.ts';
import type { RunStatus } from '../stores/run-slice.ts';
import { isBusy, OutputNameField, RunButtons, RunError } from './RunControls.tsx';

export function ToolRunPanel(p: {
  /** The heading, and the start button's verb: "Extract" gives "Choose folder and extract". */
  readonly title: string;
  /** What is written: "the adapter", "the model". */
  readonly writes: string;
  readonly outputName: string;
  readonly setOutputName: (name: string) => void;
  /** The name an empty box gives. */
  readonly placeholder: string;
  readonly status: RunStatus;
  readonly error: string | undefined;
  /** Why the settings in the page's link could not be loaded. */
  readonly linkError: string | undefined;
  /** Why the job cannot start (the first problem), if it cannot. */
  readonly waitFor: string | undefined;
  readonly plan: ReactNode;
  /** What is written last, and how to resume. */
  readonly note: string;
  readonly progress: ReactNode;
  readonly result: ReactNode;
  readonly onStart: () => void;
  readonly onCancel: () => void;
}) {
  const id = useId();
  const busy = isBusy(p.status);
  const pick = canPickFolders();
  return (
    <section className="run-panel" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>{p.title}</h2>
      {p.linkError && (
        <p className="field-error" role="alert">
          {p.linkError}
        </p>
      )}
      <div className="run-options">
        <OutputNameField
          id={id}
          value={p.outputName}
          busy={busy}
          placeholder={p.placeholder}
          onChange={p.setOutputName}
        />
      </div>
      {p.plan}
      <p className="muted">
        {pick
          ? `You will choose a folder; ${p.writes} is written into a sub-folder named as above.`
          : `This browser cannot write to a folder you pick: ${p.writes} is written to browser storage and offered as downloads.`}{' '}
        {p.note}
      </p>
      <RunButtons
        label={pick ? `Choose folder and ${p.title.toLowerCase()}` : p.title}
        status={p.status}
        blocked={p.waitFor !== undefined}
        onStart={p.onStart}
        onCancel={p.onCancel}
      />
      {!busy && p.waitFor && (
        <p className="field-hint">
          {p.title} waits: {p.waitFor}
        </p>
      )}
      {p.progress}
      <RunError status={p.status} error={p.error} />
      {p.result}
    </section>
  );
}
