/** Search the hub as you type (debounced); pick a result to add it to the merge. */
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { formatCount } from '../../shared/format.ts';
import { useDebounced } from '../../shared/use-debounced.ts';
import { selectModelIds } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { hubSearchQuery } from './hub-search.ts';

export function ModelSearch() {
  const id = useId();
  const [query, setQuery] = useState('');
  const q = useDebounced(query.trim(), 300);
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const chosen = useStudio(selectModelIds);
  const addModel = useStudio((s) => s.addModel);
  const forgetLost = useStudio((s) => s.forgetLostLocalFolder);
  const results = useQuery(hubSearchQuery(hubUrl, token, q));
  return (
    <section className="model-search" aria-labelledby={`${id}-t`}>
      <h3 id={`${id}-t`}>Find models</h3>
      <label htmlFor={`${id}-q`} className="visually-hidden">
        Search models
      </label>
      <input
        id={`${id}-q`}
        type="search"
        placeholder="Search models, e.g. llama"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {results.isPending && <p className="muted">Searching…</p>}
      {results.isError && (
        <p className="field-error" role="alert">
          Cannot search {hubUrl}: {(results.error as Error).message}
        </p>
      )}
      {results.data && results.data.length === 0 && <p className="muted">No models match.</p>}
      <ul className="search-results" aria-label="Search results">
        {results.data?.map((m) => (
          <li key={m.id}>
            <button
              type="button"
              onClick={() => {
                addModel(m.id);
                // Taken from the hub now, not a folder opened before a reload.
                forgetLost(m.id);
              }}
              disabled={chosen.includes(m.id)}
              aria-label={`Add ${m.id}`}
            >
              <span className="model-name">{m.id}</span>
              {m.gated && <span className="badge">gated</span>}
              <span className="muted">
                {formatCount(m.downloads)} downloads · updated {new Date(m.updatedAt).toLocaleDateString()}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
