/**
 * "Plan": what the merge will write, before it runs: the output's size, tensor and layer
 * counts, its vocabulary when tokenizer merging changes it, and the plan's warnings (tokens
 * added, vocab crops, the chat template picked). Shown once the recipe validates and its
 * models' headers are known; planned again 500 ms after the last edit
 * (shared/use-plan-query.ts). Warnings quote model ids and token text, which come from the
 * Hub: they are rendered as text, never as HTML.
 */
import type { PlanSummary as Plan } from '../../../workers/runtime/api.ts';
import { useModelInfos } from '../../engine/model-info.ts';
import { formatBytes } from '../../shared/format.ts';
import { PlanList, PlanSection } from '../../shared/PlanSection.tsx';
import { usePlanQuery } from '../../shared/use-plan-query.ts';
import {
  selectFoldersBlock,
  selectModelIds,
  selectRecipeProblems,
  selectRecipeYaml,
} from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import { planQuery } from './plan-query.ts';

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
  const { plan, updating } = usePlanQuery(options, ready);
  // Unlike the MoE's and the extraction's, the merge's plan says nothing until it can plan:
  // the recipe's problems show with the YAML, and the models' headers load above.
  if (!ready) return null;
  return (
    <PlanView plan={plan.data} error={plan.error ? plan.error.message : undefined} updating={updating} />
  );
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
  return (
    <PlanSection what="merge" updating={updating} error={error} plan={plan}>
      {(p) => (
        <>
          <p>{planLine(p)}</p>
          <PlanList label="Plan warnings" items={p.warnings} />
        </>
      )}
    </PlanSection>
  );
}

function planLine(plan: Plan): string {
  const vocab = plan.vocabSize ? `; vocabulary ${plan.vocabSize.from} → ${plan.vocabSize.to} tokens` : '';
  return `About ${formatBytes(plan.outputBytes)}: ${plan.tensors} tensors, ${plan.layers} layers${vocab}.`;
}
