/**
 * "Plan": what the build will write, before it runs, from the models' headers alone (the merge
 * worker's planMoe): the output architecture the models and config choose, the output's size
 * and shards, its tensors, layers x experts (+ shared experts), and the warnings known before
 * the build (those the config alone tells are listed by the Build panel already, and not
 * repeated). Shown once the base and every expert (shared ones too) name a model; planned again
 * 500 ms after the last edit (shared/use-plan-query.ts). Model ids in messages come from the
 * user or the Hub: text, never HTML.
 */
import type { MoePlanSummary } from '../../../workers/runtime/api.ts';
import { formatBytes } from '../../shared/format.ts';
import { PlanList, PlanSection } from '../../shared/PlanSection.tsx';
import { usePlanQuery } from '../../shared/use-plan-query.ts';
import { moeFormWarnings } from '../../stores/moe-edits.ts';
import { selectMoeFoldersBlock, selectMoeModelIds, selectMoeYaml } from '../../stores/moe-selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { architectureNoun, REMOTE_CODE } from './architectures.ts';
import { moePlanQuery } from './moe-plan-query.ts';

/** Why there is no plan yet: with every model named (something else holds it back), and before. */
const WAIT_CONFIG = 'The plan waits for the YAML to be a MoE config again.';
const WAIT_MODELS =
  'Once the base and every expert name a model, the size, tensors and shards of the MoE show here, read from the models’ headers.';

export function MoePlanPreview() {
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
  const { plan, updating } = usePlanQuery(options, ready);
  const shownElsewhere = moeFormWarnings(moe);
  return (
    <PlanSection
      what="MoE"
      updating={updating}
      waiting={ready ? undefined : named ? WAIT_CONFIG : WAIT_MODELS}
      error={plan.error?.message}
      plan={plan.data}
    >
      {(p) => (
        <>
          <p>{planLine(p)}</p>
          {p.architecture === 'DeepSeek MoE' && <p className="field-hint">{REMOTE_CODE}</p>}
          <PlanList label="Plan warnings" items={p.warnings.filter((w) => !shownElsewhere.includes(w))} />
        </>
      )}
    </PlanSection>
  );
}

/** "Builds a DeepSeek MoE: about 4.9 MB in 1 shard: 79 tensors, 4 layers × 3 experts + 1 shared expert." */
export function planLine(p: MoePlanSummary): string {
  const shards = `${p.shards} shard${p.shards === 1 ? '' : 's'}`;
  const shared = p.sharedExperts > 0 ? ` + ${p.sharedExperts} shared expert${p.sharedExperts === 1 ? '' : 's'}` : ''; // prettier-ignore
  return `Builds a ${architectureNoun(p.architecture)}: about ${formatBytes(p.outputBytes)} in ${shards}: ${p.tensors} tensors, ${p.layers} layers × ${p.experts} experts${shared}.`;
}
