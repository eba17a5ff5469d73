/** Every merge method from the engine's registry: what it does, what it needs, its paper. */
import { METHODS } from '../../../workers/methods/registry.ts';
import type { MergeMethod } from '../../../workers/methods/types.ts';
import { useStudio } from '../../stores/store.ts';

export function needsText(m: MergeMethod): string {
  const base =
    m.base === 'required'
      ? 'a base model'
      : m.base === 'optional'
        ? 'an optional base model'
        : 'no base model';
  const { min, max } = m.models;
  const count = max === min ? `exactly ${min}` : max === undefined ? `${min} or more` : `${min} to ${max}`;
  const what = m.base === 'input' ? 'model' : 'other model';
  return `Needs ${base} and ${count} ${what}${min === 1 && max === 1 ? '' : 's'}.`;
}

export function MethodPicker() {
  const current = useStudio((s) => s.recipe.merge_method);
  const setMethod = useStudio((s) => s.setMethod);
  // Parameters the last switch set aside (recipe-slice.ts): switching back restores them.
  const notice = useStudio((s) => s.methodNotice);
  return (
    <fieldset className="method-picker">
      <legend>Merge method</legend>
      <div className="method-list" role="radiogroup" aria-label="Merge method">
        {METHODS.map((m) => (
          <label key={m.name} className={`method-option${m.name === current ? ' selected' : ''}`}>
            <input
              type="radio"
              name="merge-method"
              value={m.name}
              checked={m.name === current}
              onChange={() => setMethod(m.name)}
            />
            <span className="method-title">
              {m.prettyName} <code>{m.name}</code>
            </span>
            <span className="method-desc">{m.description}</span>
            <span className="method-needs muted">{needsText(m)}</span>
            {m.paper && (
              <a href={m.paper.url} target="_blank" rel="noreferrer">
                {m.paper.title}
              </a>
            )}
          </label>
        ))}
      </div>
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
    </fieldset>
  );
}
