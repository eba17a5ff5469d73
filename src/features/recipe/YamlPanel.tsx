/**
 * The recipe as mergekit YAML, both ways: edits made with the controls show here at once, and
 * YAML typed or imported here fills the controls when it is valid. Invalid YAML is kept as a
 * draft with line-precise problems; the current recipe stays as it was. A draft set from
 * outside (a link, a reload, history) shows here too: the problems always describe the text on
 * screen, Export writes that text, and Merge and Analyse wait until it is a recipe
 * (selectRecipeProblems).
 */
import { useId, useMemo, useState } from 'react';
import { parseRecipeYaml } from '../../../workers/plan/recipe-yaml.ts';
import { formatPath } from '../../../workers/plan/problems.ts';
import { selectRecipeProblems, selectRecipeYaml } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';

export function YamlPanel() {
  const id = useId();
  const yaml = useStudio(selectRecipeYaml);
  const draft = useStudio((s) => s.yamlDraft);
  const storeProblems = useStudio(selectRecipeProblems);
  const linkError = useStudio((s) => s.linkError);
  const setLinkError = useStudio((s) => s.setLinkError);
  const editYaml = useStudio((s) => s.editYaml);
  const discard = useStudio((s) => s.discardYamlDraft);
  const source = draft ?? yaml;
  const [text, setText] = useState(source);
  const [editing, setEditing] = useState(false);
  // Follow the draft, else the recipe, unless the user is typing (re-serialising would move
  // their cursor).
  const [shown, setShown] = useState(source);
  if (!editing && shown !== source) {
    setShown(source);
    setText(source);
  }
  // The problems of the text on screen, with its line numbers (the store's for a draft).
  const textProblems = useMemo(() => parseRecipeYaml(text).problems, [text]);
  const problems = draft !== undefined ? storeProblems : textProblems;
  const onFile = async (file: File) => {
    const t = await file.text();
    setText(t);
    editYaml(t);
  };
  const download = () => {
    // What the editor shows, errors included (mergekit may accept what the studio refuses).
    const url = URL.createObjectURL(new Blob([text], { type: 'text/yaml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'recipe.yml';
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <section className="yaml-panel" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Recipe (mergekit YAML)</h2>
      {linkError && (
        <p className="field-error" role="alert">
          {linkError}{' '}
          <button type="button" onClick={() => setLinkError(undefined)}>
            Dismiss
          </button>
        </p>
      )}
      <label htmlFor={`${id}-y`} className="visually-hidden">
        Recipe YAML
      </label>
      <textarea
        id={`${id}-y`}
        spellCheck={false}
        rows={18}
        value={text}
        onFocus={() => setEditing(true)}
        onBlur={() => {
          setEditing(false);
          setShown('');
        }}
        onChange={(e) => {
          setText(e.target.value);
          editYaml(e.target.value);
        }}
      />
      {problems.length > 0 && (
        <ul className="problems" aria-label="Recipe problems">
          {problems.map((p, i) => (
            <li key={i} className={p.severity}>
              {p.line !== undefined && <span className="line">line {p.line}: </span>}
              {p.path.length > 0 && <code>{formatPath(p.path)}</code>} {p.message}
            </li>
          ))}
        </ul>
      )}
      {draft !== undefined && (
        <p role="status">
          The YAML above has errors, so the controls still show the last valid recipe, and Merge and Analyse
          wait until it is fixed.{' '}
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
    </section>
  );
}
