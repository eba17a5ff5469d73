/**
 * A config as YAML, both ways: the merge recipe's panel and the MoE config's. Edits made with
 * the form show here at once, and YAML typed or imported here goes to the store, which fills
 * the form when it can and else keeps a draft with line-numbered problems (the form keeping
 * its config). A draft set from outside (a link, a reload, history) shows here too: the
 * problems always describe the text on screen, and Export writes that text.
 */
import { useId, useMemo } from 'react';
import { formatPath, type RecipeProblem } from '../../workers/plan/problems.ts';
import { useLiveText } from './use-live-text.ts';

export interface YamlEditorProps {
  /** The section's heading: "Recipe (mergekit YAML)". */
  readonly title: string;
  /** The text box's accessible name: "Recipe YAML". */
  readonly label: string;
  /** The problem list's accessible name: "Recipe problems". */
  readonly problemsLabel: string;
  /** The file name Export gives the text. */
  readonly exportName: string;
  /** The draft when there is one, else the store's config as YAML. */
  readonly source: string;
  readonly hasDraft: boolean;
  /** The store's problems of the draft (the text on screen is the draft then). */
  readonly draftProblems: readonly RecipeProblem[];
  /** The problems of text that is not a draft; a stable function (it is a memo's dependency). */
  readonly problemsOf: (text: string) => readonly RecipeProblem[];
  readonly onEdit: (text: string) => void;
  readonly onDiscard: () => void;
  /** What the draft holds back, said before "Discard my edits". */
  readonly draftNotice: string;
  /** Why the config in the page's link could not be loaded. */
  readonly linkError: string | undefined;
  readonly onDismissLinkError: () => void;
  /** A line under the buttons. */
  readonly hint?: string;
}

export function YamlEditor(p: YamlEditorProps) {
  const id = useId();
  const { text, setText, focusHandlers } = useLiveText(p.source);
  // The problems of the text on screen, with its line numbers (the store's for a draft).
  const { problemsOf } = p;
  const textProblems = useMemo(() => problemsOf(text), [text, problemsOf]);
  const problems = p.hasDraft ? p.draftProblems : textProblems;
  const edit = (t: string) => {
    setText(t);
    p.onEdit(t);
  };
  return (
    <section className="yaml-panel" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>{p.title}</h2>
      {p.linkError && (
        <p className="field-error" role="alert">
          {p.linkError}{' '}
          <button type="button" onClick={p.onDismissLinkError}>
            Dismiss
          </button>
        </p>
      )}
      <label htmlFor={`${id}-y`} className="visually-hidden">
        {p.label}
      </label>
      <textarea
        id={`${id}-y`}
        spellCheck={false}
        rows={18}
        value={text}
        {...focusHandlers}
        onChange={(e) => edit(e.target.value)}
      />
      <ProblemList label={p.problemsLabel} problems={problems} />
      {p.hasDraft && (
        <p role="status">
          {p.draftNotice}{' '}
          <button type="button" onClick={p.onDiscard}>
            Discard my edits
          </button>
        </p>
      )}
      <div className="row">
        <label className="button-like" htmlFor={`${id}-f`}>
          Import YAML file…
        </label>
        <input
          id={`${id}-f`}
          className="visually-hidden"
          type="file"
          accept=".yml,.yaml,text/yaml"
          onChange={(e) => e.target.files?.[0] && void e.target.files[0].text().then(edit)}
        />
        <button type="button" onClick={() => download(text, p.exportName)}>
          Export YAML
        </button>
      </div>
      {p.hint !== undefined && <p className="field-hint">{p.hint}</p>}
    </section>
  );
}

/** What the editor shows, errors included (mergekit may accept what the studio refuses). */
function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/yaml' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

/** Problems as the CLI reports them: line, YAML path, what to do. */
function ProblemList({ label, problems }: { label: string; problems: readonly RecipeProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <ul className="problems" aria-label={label}>
      {problems.map((p, i) => (
        <li key={i} className={p.severity}>
          {p.line !== undefined && <span className="line">line {p.line}: </span>}
          {p.path.length > 0 && <code>{formatPath(p.path)}</code>} {p.message}
        </li>
      ))}
    </ul>
  );
}
