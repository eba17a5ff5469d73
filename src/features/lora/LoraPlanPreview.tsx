/**
 * "Plan": what the extraction will write, before it runs, from the two models' headers alone
 * (the merge worker's planLora): how many modules are decomposed (and at which rank), saved
 * whole and left out, with the first few of each, and the size of adapter_model.safetensors.
 * Shown once both models are named and the settings have no problem; planned again 500 ms
 * after the last edit (shared/use-plan-query.ts). Module and model names come from
 * checkpoints and users: text only.
 */
import type { LoraPlanSummary } from '../../../workers/runtime/api.ts';
import type { ModuleGroup } from '../../../workers/lora-extract/preview-extraction.ts';
import { formatBytes } from '../../shared/format.ts';
import { PlanList, PlanSection } from '../../shared/PlanSection.tsx';
import { usePlanQuery } from '../../shared/use-plan-query.ts';
import {
  selectLoraFoldersBlock,
  selectLoraOptions,
  selectLoraProblems,
} from '../../stores/lora-selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { loraPlanQuery } from './lora-plan-query.ts';

const WHY_WHOLE = {
  'save-module': 'save modules',
  embedding: 'embedding',
  undecomposable: 'not 2-D',
} as const;
const WHY_OUT = { pattern: 'not selected', undecomposable: 'not 2-D, skipped' } as const;

/** Why there is no plan yet: with both models named (a setting has a problem), and before. */
const WAIT_SETTINGS = 'The plan waits for the settings to be fixed (said at their fields).';
const WAIT_MODELS =
  'Once both models are named, the modules the adapter decomposes, saves whole and leaves out, and its size, show here, read from the models’ headers.';

export function LoraPlanPreview() {
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
  const { plan, updating } = usePlanQuery(query, ready);
  return (
    <PlanSection
      what="extraction"
      updating={updating}
      waiting={ready ? undefined : named ? WAIT_SETTINGS : WAIT_MODELS}
      error={plan.error?.message}
      plan={plan.data}
    >
      {(p) => <PlanDetails plan={p} />}
    </PlanSection>
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
      <PlanList label="Plan notes" items={plan.notes} />
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

export function planLine(p: LoraPlanSummary): string {
  const rank = p.upperBound ? `rank at most ${p.rank}` : `rank ${p.rank}`;
  const size = `${p.upperBound ? 'at most' : 'about'} ${formatBytes(p.adapterBytes)}`;
  return `${p.decomposed.count} modules decomposed (${rank}), ${p.whole.count} saved whole, ${p.leftOut.count} left out: adapter_model.safetensors ${size}.`;
}
