/**
 * The last 20 recipes (merge recipes and MoE configs), and a link that reproduces what the open
 * tool holds: the merge's recipe in Merge mode, the MoE config in Mixture-of-experts mode (a
 * MoE link opens the builder with its config; never a token in either).
 */
import { useState } from 'react';
import { parseMoeYaml } from '../../../workers/moe/moe-yaml.ts';
import { parseRecipeYaml } from '../../../workers/plan/recipe-yaml.ts';
import { referencedModels } from '../../../workers/plan/recipe.ts';
import { kindOf, readHistory, type HistoryEntry } from '../../shared/history.ts';
import { selectMoeYaml } from '../../stores/moe-selectors.ts';
import { selectRecipeYaml } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';

type LinkOf = (yaml: string, hub: string) => string;

function summary(e: HistoryEntry): string {
  if (kindOf(e) === 'moe') {
    const c = parseMoeYaml(e.yaml).shape;
    if (!c) return 'MoE: invalid config';
    const n = c.experts.length;
    return `MoE (${c.gate_mode}): ${c.base_model || 'no base'} + ${n} expert${n === 1 ? '' : 's'}`;
  }
  const r = parseRecipeYaml(e.yaml).recipe;
  return r ? `${r.merge_method}: ${referencedModels(r).join(', ') || 'no models'}` : 'invalid recipe';
}

export function HistoryMenu({
  shareUrl,
  moeShareUrl,
}: {
  readonly shareUrl: LinkOf;
  readonly moeShareUrl: LinkOf;
}) {
  const [copied, setCopied] = useState(false);
  const moe = useStudio((s) => s.studioMode) === 'moe';
  const recipeYaml = useStudio(selectRecipeYaml);
  const moeYaml = useStudio(selectMoeYaml);
  const hubUrl = useStudio((s) => s.hubUrl);
  const editYaml = useStudio((s) => s.editYaml);
  const editMoeYaml = useStudio((s) => s.editMoeYaml);
  const setMode = useStudio((s) => s.setStudioMode);
  const [entries, setEntries] = useState(readHistory);
  const open = (e: HistoryEntry): void => {
    const kind = kindOf(e);
    if (kind === 'moe') editMoeYaml(e.yaml);
    else editYaml(e.yaml);
    setMode(kind);
  };
  return (
    <div className="history">
      <button
        type="button"
        onClick={() => {
          const link = moe ? moeShareUrl(moeYaml, hubUrl) : shareUrl(recipeYaml, hubUrl);
          void navigator.clipboard?.writeText(link).then(() => setCopied(true));
          setTimeout(() => setCopied(false), 2000);
        }}
      >
        {copied ? 'Link copied' : moe ? 'Copy link to this MoE config' : 'Copy link to this recipe'}
      </button>
      <details onToggle={() => setEntries(readHistory())}>
        <summary>Recent recipes</summary>
        {entries.length === 0 ? (
          <p className="muted">
            Recipes you merge, MoE configs you build, and those you open by link appear here.
          </p>
        ) : (
          <ul>
            {entries.map((e) => (
              <li key={`${e.savedAt} ${kindOf(e)}`}>
                <button type="button" onClick={() => open(e)}>
                  {summary(e)}
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
