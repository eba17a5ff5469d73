/**
 * The MoE config as mergekit-moe YAML, both ways, as the merge recipe's YAML panel: form edits
 * show here at once; YAML typed or imported here fills the form when it is a config's shape
 * (even one mergekit's rules refuse: the form then shows it, and the problems say why Build
 * waits). Anything else stays a draft with the CLI's line-numbered problems, the form keeping
 * its config. Export writes the text on screen.
 */
import { useId, useMemo, useState } from 'react';
import { parseMoeYaml } from '../../../workers/moe/moe-yaml.ts';
import { formatPath, type RecipeProblem } from '../../../workers/plan/problems.ts';
import { selectMoeProblems, selectMoeYaml } from '../../stores/moe-selectors.ts';
import { useStudio } from '../../stores/store.ts';

/** The file name Export gives the YAML (mergekit-moe's examples are .yml files). */
const EXPORT_NAME = 'moe-config.yml';

export function MoeYamlPanel() {
  const id = useId();
  const yaml = useStudio(selectMoeYaml);
  const draft = useStudio((s) => s.moeDraft);
  const storeProblems = useStudio(selectMoeProblems);
  const allowAllSame = useStudio((s) => s.moeOptions.allowAllSame);
  const editYaml = useStudio((s) => s.editMoeYaml);
  const discard = useStudio((s) => s.discardMoeDraft);
  const linkError = useStudio((s) => s.moeLinkError);
  const setLinkError = useStudio((s) => s.setMoeLinkError);
  const source = draft ?? yaml;
  const [text, setText] = useState(source);
  const [editing, setEditing] = useState(false);
  // Follow the draft, else the form, unless the user is typing (re-serialising would move
  // their cursor).
  const [shown, setShown] = useState<string | undefined>(source);
  if (!editing && shown !== source) {
    setShown(source);
    setText(source);
  }
  // The problems of the text on screen, with its line numbers (the store's for a draft).
  const textProblems = useMemo(() => parseMoeYaml(text, { allowAllSame }).problems, [text, allowAllSame]);
  const problems = draft !== undefined ? storeProblems : textProblems;
  const onFile = async (file: File) => {
    const t = await file.text();
    setText(t);
    editYaml(t);
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/yaml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = EXPORT_NAME;
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <section className="yaml-panel" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>MoE config (mergekit-moe YAML)</h2>
      {linkError && (
        <p className="field-error" role="alert">
          {linkError}{' '}
          <button type="button" onClick={() => setLinkError(undefined)}>
            Dismiss
          </button>
        </p>
      )}
      <label htmlFor={`${id}-y`} className="visually-hidden">
        MoE config YAML
      </label>
      <textarea
        id={`${id}-y`}
        spellCheck={false}
        rows={18}
        value={text}
        onFocus={() => setEditing(true)}
        onBlur={() => {
          setEditing(false);
          setShown(undefined);
        }}
        onChange={(e) => {
          setText(e.target.value);
          editYaml(e.target.value);
        }}
      />
      <ProblemList problems={problems} />
      {draft !== undefined && (
        <p role="status">
          The YAML above is not a MoE config yet, so the form still shows the last one, and Build waits until
          it is fixed.{' '}
          <button type="button" onClick={discard}>
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
          onChange={(e) => e.target.files?.[0] && void onFile(e.target.files[0])}
        />
        <button type="button" onClick={download}>
          Export YAML
        </button>
      </div>
      <p className="field-hint">The same file runs with mergekit-moe and with merge-studio moe.</p>
    </section>
  );
}

/** Problems as the CLI reports them: line, YAML path, what to do. */
function ProblemList({ problems }: { problems: readonly RecipeProblem[] }) {
  if (problems.length === 0) return null;
  return (
    <ul className="problems" aria-label="MoE config problems">
      {problems.map((p, i) => (
        <li key={i} className={p.severity}>
          {p.line !== undefined && <span className="line">line {p.line}: </span>}
          {p.path.length > 0 && <code>{formatPath(p.path)}</code>} {p.message}
        </li>
      ))}
    </ul>
  );
}
