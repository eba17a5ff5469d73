/**
 * "Plan": what the merge will write, before it runs: the output's size, tensor and layer
 * counts, its vocabulary when tokenizer merging changes it, and the plan's warnings (tokens
 * added, vocab crops, the chat template picked). Shown once the recipe validates and its
 * models' headers are known; planned again 500 ms after the last edit. Warnings quote model ids
 * and token text, which come from the Hub: they are rendered as text, never as HTML.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import type { PlanSummary as Plan } from '../../../workers/runtime/api.ts';
import { useModelInfos } from '../../engine/model-info.ts';
import { formatBytes } from '../../shared/format.ts';
import { useDebounced } from '../../shared/use-debounced.ts';
import {
  selectFoldersBlock,
  selectModelIds,
  selectRecipeProblems,
  selectRecipeYaml,
} from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { planQuery } from './plan-query.ts';

/** Quiet time after the last edit before planning (a slider drag plans once, at its end). */
const PLAN_DEBOUNCE_MS = 500;

export function PlanSummary() {
  const recipeText = useStudio(selectRecipeYaml);
  const ids = useStudio(selectModelIds);
  const invalid = useStudio((s) => selectRecipeProblems(s).some((p) => p.severity === 'error'));
  const foldersBlock = useStudio(selectFoldersBlock);
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const local = useStudio((s) => s.localFolders);
  const infos = useModelInfos(ids, hubUrl, token, local);
  const known = ids.length > 0 && infos.every((q) => q.data !== undefined);
  const ready = !invalid && foldersBlock === undefined && known;
  const options = planQuery({ recipeText, ids, hubUrl, token, localFolders: local });
  const key = JSON.stringify(options.queryKey);
  const settled = useDebounced(key, PLAN_DEBOUNCE_MS) === key;
  const plan = useQuery({ ...options, enabled: ready && settled, placeholderData: keepPreviousData });
  if (!ready) return null;
  return (
    <PlanView
      plan={plan.data}
      error={plan.error ? plan.error.message : undefined}
      updating={!settled || plan.isFetching}
    />
  );
}

/** The first line of an error (a RecipeError lists every problem), at most 300 characters. */
export function shortMessage(message: string): string {
  const line = message.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

export function PlanView({
  plan,
  error,
  updating,
}: {
  readonly plan: Plan | undefined;
  readonly error: string | undefined;
  readonly updating: boolean;
}) {
  const id = useId();
  return (
    <section className="plan-summary" aria-labelledby={`${id}-t`} aria-busy={updating}>
      <h3 id={`${id}-t`}>Plan</h3>
      {error !== undefined ? (
        <p className="field-error">Cannot plan this merge: {shortMessage(error)}</p>
      ) : plan === undefined ? (
        <p className="muted">Reading the models’ headers…</p>
      ) : (
        <>
          <p>{planLine(plan)}</p>
          {plan.warnings.length > 0 && (
            <ul className="plan-warnings" aria-label="Plan warnings">
              {plan.warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function planLine(plan: Plan): string {
  const vocab = plan.vocabSize ? `; vocabulary ${plan.vocabSize.from} → ${plan.vocabSize.to} tokens` : '';
  return `About ${formatBytes(plan.outputBytes)}: ${plan.tensors} tensors, ${plan.layers} layers${vocab}.`;
}
