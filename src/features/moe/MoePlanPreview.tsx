/**
 * "Plan": what the build will write, before it runs, from the models' headers alone (the merge
 * worker's planMoe): the output architecture the models and config choose, the output's size
 * and shards, its tensors, layers x experts (+ shared experts), and the warnings known before
 * the build (those the config alone tells are listed by the Build panel already, and not
 * repeated). Shown once the base and every expert (shared ones too) name a model; planned again
 * 500 ms after the last edit. Model ids in messages come from the user or the Hub: text, never
 * HTML.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import type { MoePlanSummary } from '../../../workers/runtime/api.ts';
import { formatBytes } from '../../shared/format.ts';
import { useDebounced } from '../../shared/use-debounced.ts';
import { moeFormWarnings } from '../../stores/moe-edits.ts';
import { selectMoeFoldersBlock, selectMoeModelIds, selectMoeYaml } from '../../stores/moe-selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { architectureNoun, REMOTE_CODE } from './architectures.ts';
import { moePlanQuery } from './moe-plan-query.ts';

/** Quiet time after the last edit before planning (typing a prompt plans once, at its end). */
const PLAN_DEBOUNCE_MS = 500;

export function MoePlanPreview() {
  const id = useId();
  const configText = useStudio(selectMoeYaml);
  const ids = useStudio(selectMoeModelIds);
  const moe = useStudio((s) => s.moe);
  const draft = useStudio((s) => s.moeDraft !== undefined);
  const foldersBlock = useStudio(selectMoeFoldersBlock);
  const maxShardBytes = useStudio((s) => s.moeOptions.shardBytes);
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const local = useStudio((s) => s.localFolders);
  const named =
    moe.base_model.trim() !== '' &&
    moe.experts.length > 0 &&
    [...moe.experts, ...(moe.shared_experts ?? [])].every((e) => e.source_model.trim() !== '');
  const ready = named && !draft && foldersBlock === undefined;
  const options = moePlanQuery({ configText, ids, maxShardBytes, hubUrl, token, localFolders: local });
  const key = JSON.stringify(options.queryKey);
  const settled = useDebounced(key, PLAN_DEBOUNCE_MS) === key;
  const plan = useQuery({ ...options, enabled: ready && settled, placeholderData: keepPreviousData });
  const shownElsewhere = moeFormWarnings(moe);
  const updating = ready && (!settled || plan.isFetching);
  return (
    <section className="plan-summary" aria-labelledby={`${id}-t`} aria-busy={updating}>
      <h3 id={`${id}-t`}>Plan</h3>
      {!ready ? (
        <p className="muted">
          {named
            ? 'The plan waits for the YAML to be a MoE config again.'
            : 'Once the base and every expert name a model, the size, tensors and shards of the MoE show here, read from the models’ headers.'}
        </p>
      ) : plan.error ? (
        // No alert role: it would interrupt a screen reader at each pause in typing a model id.
        <p className="field-error">Cannot plan this MoE: {shortMessage(plan.error.message)}</p>
      ) : plan.data === undefined ? (
        <p className="muted">Reading the models’ headers…</p>
      ) : (
        <>
          <p>{planLine(plan.data)}</p>
          {plan.data.architecture === 'DeepSeek MoE' && <p className="field-hint">{REMOTE_CODE}</p>}
          <PlanWarnings warnings={plan.data.warnings.filter((w) => !shownElsewhere.includes(w))} />
        </>
      )}
    </section>
  );
}

function PlanWarnings({ warnings }: { readonly warnings: readonly string[] }) {
  if (warnings.length === 0) return null;
  return (
    <ul className="plan-warnings" aria-label="Plan warnings">
      {warnings.map((w, i) => (
        <li key={i}>{w}</li>
      ))}
    </ul>
  );
}

/** The first line of an error (a RecipeError lists every problem), at most 300 characters. */
function shortMessage(message: string): string {
  const line = message.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** "Builds a DeepSeek MoE: about 4.9 MB in 1 shard: 79 tensors, 4 layers × 3 experts + 1 shared expert." */
export function planLine(p: MoePlanSummary): string {
  const shards = `${p.shards} shard${p.shards === 1 ? '' : 's'}`;
  const shared = p.sharedExperts > 0 ? ` + ${p.sharedExperts} shared expert${p.sharedExperts === 1 ? '' : 's'}` : ''; // prettier-ignore
  return `Builds a ${architectureNoun(p.architecture)}: about ${formatBytes(p.outputBytes)} in ${shards}: ${p.tensors} tensors, ${p.layers} layers × ${p.experts} experts${shared}.`;
}
