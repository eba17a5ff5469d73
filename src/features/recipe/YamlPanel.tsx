/**
 * The recipe as mergekit YAML, both ways: edits made with the controls show here at once, and
 * YAML typed or imported here fills the controls when it is valid. Invalid YAML is kept as a
 * draft with line-precise problems; the current recipe stays as it was.
 */
import { useId, useState } from 'react';
import { formatPath } from '../../../workers/plan/problems.ts';
import { selectRecipeProblems, selectRecipeYaml } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';

export function YamlPanel() {
  const id = useId();
  const yaml = useStudio(selectRecipeYaml);
  const draft = useStudio((s) => s.yamlDraft);
  const yamlProblems = useStudio((s) => s.yamlProblems);
  const recipeProblems = useStudio(selectRecipeProblems);
  const editYaml = useStudio((s) => s.editYaml);
  const discard = useStudio((s) => s.discardYamlDraft);
  const [text, setText] = useState(yaml);
  const [editing, setEditing] = useState(false);
  // Follow the recipe unless the user is typing (re-serialising would move their cursor).
  const [shown, setShown] = useState(yaml);
  if (!editing && draft === undefined && shown !== yaml) {
    setShown(yaml);
    setText(yaml);
  }
  const problems = draft !== undefined ? yamlProblems : recipeProblems;
  const onFile = async (file: File) => {
    const t = await file.text();
    setText(t);
    editYaml(t);
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([yaml], { type: 'text/yaml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'recipe.yml';
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <section className="yaml-panel" aria-labelledby={`${id}-t`}>
      <h2 id={`${id}-t`}>Recipe (mergekit YAML)</h2>
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
          The YAML above has errors, so the controls still show the last valid recipe.{' '}
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
