/** The last 20 recipes, and a link that reproduces the current one. */
import { useState } from 'react';
import { parseRecipeYaml } from '../../../workers/plan/recipe-yaml.ts';
import { referencedModels } from '../../../workers/plan/recipe.ts';
import { selectRecipeYaml } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { readHistory } from './history.ts';

function summary(yaml: string): string {
  const r = parseRecipeYaml(yaml).recipe;
  return r ? `${r.merge_method}: ${referencedModels(r).join(', ') || 'no models'}` : 'invalid recipe';
}

export function HistoryMenu({ shareUrl }: { readonly shareUrl: (yaml: string, hub: string) => string }) {
  const [copied, setCopied] = useState(false);
  const yaml = useStudio(selectRecipeYaml);
  const hubUrl = useStudio((s) => s.hubUrl);
  const editYaml = useStudio((s) => s.editYaml);
  const [entries, setEntries] = useState(readHistory);
  return (
    <div className="history">
      <button
        type="button"
        onClick={() => {
          void navigator.clipboard?.writeText(shareUrl(yaml, hubUrl)).then(() => setCopied(true));
          setTimeout(() => setCopied(false), 2000);
        }}
      >
        {copied ? 'Link copied' : 'Copy link to this recipe'}
      </button>
      <details onToggle={() => setEntries(readHistory())}>
        <summary>Recent recipes</summary>
        {entries.length === 0 ? (
          <p className="muted">Recipes you merge or open appear here.</p>
        ) : (
          <ul>
            {entries.map((e) => (
              <li key={e.savedAt}>
                <button type="button" onClick={() => editYaml(e.yaml)}>
                  {summary(e.yaml)}
                </button>{' '}
                <span className="muted">{new Date(e.savedAt).toLocaleString()}</span>
              </li>
            ))}
          </ul>
        )}
      </details>
    </div>
  );
}
