/**
 * The config's two lists of experts as cards: the routed experts (each with a router row per
 * layer) and the shared experts (DeepSeek MoE, Qwen2-MoE) in every layer beside them. One card
 * component for both (ExpertCard); what each list's prompts are for is ./prompt-rules.ts's.
 */
import { useStudio } from '../../stores/store.ts';
import { ExpertCard } from './ExpertCard.tsx';
import { expertPromptsRule, sharedPromptsRule } from './prompt-rules.ts';

export function ExpertList({ listId }: { readonly listId: string }) {
  const moe = useStudio((s) => s.moe);
  const add = useStudio((s) => s.addMoeExpert);
  const update = useStudio((s) => s.updateMoeExpert);
  const remove = useStudio((s) => s.removeMoeExpert);
  return (
    <>
      <h3>Experts ({moe.experts.length})</h3>
      {moe.experts.length === 0 && (
        <p className="muted">
          No experts yet. Each expert is one model’s MLP in every layer, with the prompts its router learns
          from.
        </p>
      )}
      {moe.experts.map((e, i) => (
        <ExpertCard
          key={i}
          name={`Expert ${i + 1}`}
          expert={e}
          listId={listId}
          prompts={expertPromptsRule(moe, e)}
          onChange={(patch) => update(i, patch)}
          onRemove={() => remove(i)}
        />
      ))}
      <button type="button" onClick={() => add()}>
        Add expert
      </button>
    </>
  );
}

export function SharedExpertList({ listId }: { readonly listId: string }) {
  const moe = useStudio((s) => s.moe);
  const add = useStudio((s) => s.addMoeSharedExpert);
  const update = useStudio((s) => s.updateMoeSharedExpert);
  const remove = useStudio((s) => s.removeMoeSharedExpert);
  const shared = moe.shared_experts ?? [];
  return (
    <>
      <h3>Shared experts ({shared.length})</h3>
      <p className="field-hint">
        A shared expert’s MLP is in every layer beside the routed ones. DeepSeek MoE takes at most one,
        without prompts: every token goes through it. Qwen2-MoE takes exactly one, with positive prompts: its
        gate is made from them as an expert’s router row is. Mixtral and Qwen3-MoE have none.
      </p>
      {shared.map((e, i) => (
        <ExpertCard
          key={i}
          name={`Shared expert ${i + 1}`}
          expert={e}
          listId={listId}
          prompts={sharedPromptsRule(moe, e)}
          onChange={(patch) => update(i, patch)}
          onRemove={() => remove(i)}
        />
      ))}
      <button type="button" onClick={() => add()}>
        Add shared expert
      </button>
    </>
  );
}
