/**
 * "Plan": what the extraction will write, before it runs, from the two models' headers alone
 * (the merge worker's planLora): how many modules are decomposed (and at which rank), saved
 * whole and left out, with the first few of each, and the size of adapter_model.safetensors.
 * Shown once both models are named and the settings have no problem; planned again 500 ms
 * after the last edit. Module and model names come from checkpoints and users: text only.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import type { LoraPlanSummary } from '../../../workers/runtime/api.ts';
import type { ModuleGroup } from '../../../workers/lora-extract/preview-extraction.ts';
import { formatBytes } from '../../shared/format.ts';
import { useDebounced } from '../../shared/use-debounced.ts';
import {
  selectLoraFoldersBlock,
  selectLoraOptions,
  selectLoraProblems,
} from '../../stores/lora-selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { loraPlanQuery } from './lora-plan-query.ts';

/** Quiet time after the last edit before planning (typing a pattern plans once, at its end). */
const PLAN_DEBOUNCE_MS = 500;

const WHY_WHOLE = {
  'save-module': 'save modules',
  embedding: 'embedding',
  undecomposable: 'not 2-D',
} as const;
const WHY_OUT = { pattern: 'not selected', undecomposable: 'not 2-D, skipped' } as const;

export function LoraPlanPreview() {
  const id = useId();
  const lora = useStudio((s) => s.lora);
  const options = useStudio(selectLoraOptions);
  const problems = useStudio(selectLoraProblems);
  const foldersBlock = useStudio(selectLoraFoldersBlock);
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const local = useStudio((s) => s.localFolders);
  const named = lora.model !== '' && lora.base !== '';
  const ready = problems.length === 0 && foldersBlock === undefined;
  const query = loraPlanQuery({ model: lora.model, base: lora.base, options, hubUrl, token, localFolders: local }); // prettier-ignore
  const key = JSON.stringify(query.queryKey);
  const settled = useDebounced(key, PLAN_DEBOUNCE_MS) === key;
  const plan = useQuery({ ...query, enabled: ready && settled, placeholderData: keepPreviousData });
  const updating = ready && (!settled || plan.isFetching);
  return (
    <section className="plan-summary" aria-labelledby={`${id}-t`} aria-busy={updating}>
      <h3 id={`${id}-t`}>Plan</h3>
      {!ready ? (
        <p className="muted">
          {named
            ? 'The plan waits for the settings to be fixed (said at their fields).'
            : 'Once both models are named, the modules the adapter decomposes, saves whole and leaves out, and its size, show here, read from the models’ headers.'}
        </p>
      ) : plan.error ? (
        // No alert role: it would interrupt a screen reader at each pause in typing.
        <p className="field-error">Cannot plan this extraction: {shortMessage(plan.error.message)}</p>
      ) : plan.data === undefined ? (
        <p className="muted">Reading the models’ headers…</p>
      ) : (
        <PlanDetails plan={plan.data} />
      )}
    </section>
  );
}

function PlanDetails({ plan }: { readonly plan: LoraPlanSummary }) {
  const atMost = plan.upperBound ? 'at most ' : '';
  return (
    <>
      <p>{planLine(plan)}</p>
      <Group
        label="Decomposed modules"
        group={plan.decomposed}
        text={(m) => `${m.module} ${m.rows}×${m.cols}: rank ${atMost}${m.rank}`}
      />
      <Group label="Saved whole" group={plan.whole} text={(m) => `${m.module} (${WHY_WHOLE[m.why]})`} />
      <Group label="Left out" group={plan.leftOut} text={(m) => `${m.module} (${WHY_OUT[m.why]})`} />
      {plan.biasDeltas > 0 && (
        <p className="notice">
          {plan.biasDeltas} decomposed module(s) have biases: their changes are saved as lora_B.bias, which
          PEFT applies only with “Set lora_bias” (mergekit never sets it).
        </p>
      )}
      {plan.notes.length > 0 && (
        <ul className="plan-warnings" aria-label="Plan notes">
          {plan.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
    </>
  );
}

function Group<T>(p: {
  readonly label: string;
  readonly group: ModuleGroup<T>;
  readonly text: (item: T) => string;
}) {
  if (p.group.count === 0) return null;
  const more = p.group.count - p.group.sample.length;
  return (
    <details className="lora-group">
      <summary>
        {p.label} ({p.group.count})
      </summary>
      <ul aria-label={p.label}>
        {p.group.sample.map((m, i) => (
          <li key={i}>{p.text(m)}</li>
        ))}
        {more > 0 && <li className="muted">and {more} more</li>}
      </ul>
    </details>
  );
}

/** The first line of an error, at most 300 characters. */
function shortMessage(message: string): string {
  const line = message.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

export function planLine(p: LoraPlanSummary): string {
  const rank = p.upperBound ? `rank at most ${p.rank}` : `rank ${p.rank}`;
  const size = `${p.upperBound ? 'at most' : 'about'} ${formatBytes(p.adapterBytes)}`;
  return `${p.decomposed.count} modules decomposed (${rank}), ${p.whole.count} saved whole, ${p.leftOut.count} left out: adapter_model.safetensors ${size}.`;
}
