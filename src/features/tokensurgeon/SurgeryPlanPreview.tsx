/**
 * "Plan": what the transplant will do, before it runs, from the models' headers and tokenizer
 * files (the merge worker's planTokenSurgeon): both vocabularies, how many of the donor's tokens
 * each rebuilt matrix takes from the model and how many it approximates, and the output's
 * size. Planned again 500 ms after the last edit (shared/use-plan-query.ts). Names come from
 * models and users: text only.
 */
import { READS_SHARED } from '../../../workers/tokensurgeon/approximate.ts';
import { statsLine } from '../../../workers/tokensurgeon/build-embedding.ts';
import type { SurgeryPlanSummary } from '../../../workers/runtime/api.ts';
import { formatBytes } from '../../shared/format.ts';
import { PlanList, PlanSection } from '../../shared/PlanSection.tsx';
import { usePlanQuery } from '../../shared/use-plan-query.ts';
import { useStudio } from '../../stores/store.ts';
import {
  selectSurgeryFoldersBlock,
  selectSurgeryOptions,
  selectSurgeryProblems,
} from '../../stores/tokensurgeon-selectors.ts';
import { surgeryPlanQuery } from './surgery-plan-query.ts';

/** Above this, a browser tab may run out of memory: the plan suggests the command line. */
const TAB_MEMORY = 4e9;

const WAIT_SETTINGS = 'The plan waits for the settings to be fixed (said at their fields).';
const WAIT_MODELS =
  'Once both models are named, how many of the donor’s tokens the model already has and how many are approximated show here, read from their tokenizers.';

export function SurgeryPlanPreview() {
  const c = useStudio((s) => s.surgery);
  const options = useStudio(selectSurgeryOptions);
  const problems = useStudio(selectSurgeryProblems);
  const foldersBlock = useStudio(selectSurgeryFoldersBlock);
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const local = useStudio((s) => s.localFolders);
  const named = c.model.trim() !== '' && c.donor.trim() !== '';
  const ready = problems.length === 0 && foldersBlock === undefined;
  const query = surgeryPlanQuery({ model: c.model, donor: c.donor, options, hubUrl, token, localFolders: local }); // prettier-ignore
  const { plan, updating } = usePlanQuery(query, ready);
  return (
    <PlanSection
      what="transplant"
      updating={updating}
      waiting={ready ? undefined : named ? WAIT_SETTINGS : WAIT_MODELS}
      error={plan.error?.message}
      plan={plan.data}
    >
      {(p) => (
        <PlanDetails
          plan={p}
          magikarp={options.magikarp === true}
          shared={READS_SHARED.has(options.method)}
        />
      )}
    </PlanSection>
  );
}

interface DetailsProps {
  readonly plan: SurgeryPlanSummary;
  readonly magikarp: boolean;
  /** Whether the method builds new rows from the shared tokens (then their count is shown). */
  readonly shared: boolean;
}

function PlanDetails({ plan, magikarp, shared }: DetailsProps) {
  return (
    <>
      <p>{planLine(plan)}</p>
      <ul aria-label="Rebuilt matrices">
        {plan.matrices.map((m) => (
          <li key={m.name}>
            {statsLine(m.name, m.stats)}
            {shared && m.stats.toApproximate > 0 && `; ${m.shared} shared tokens to build from`}
          </li>
        ))}
      </ul>
      {plan.memoryBytes > TAB_MEMORY && (
        <p className="notice">
          That is more than a browser tab can be counted on to hold: run it with the command line (the result
          shows the command; `merge-studio tokensurgeon` takes the same options), which streams the same way.
        </p>
      )}
      {magikarp && (
        <p className="field-hint">
          With magikarp, badly trained tokens are left out of the shared ones once the weights are read: more
          tokens may be approximated than counted here.
        </p>
      )}
      <PlanList label="Plan warnings" items={plan.warnings} />
    </>
  );
}

export function planLine(p: SurgeryPlanSummary): string {
  const hidden =
    p.hidden === p.donorHidden ? '' : ` (hidden size ${p.hidden}; the donor’s is ${p.donorHidden})`;
  return `Vocabulary ${p.modelVocab} → ${p.outputVocab} tokens (the donor’s has ${p.donorVocab})${hidden}: ${p.tensors} tensors in ${p.shards} shard${p.shards === 1 ? '' : 's'}, ${formatBytes(p.outputBytes)}; the embeddings held while it runs: ${formatBytes(p.memoryBytes)}.`;
}
