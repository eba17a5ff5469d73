/**
 * One expert: the model whose MLP it is, the prompts its router row is made from, and the
 * optional noise and residual scales. Every value is the user's text, shown as text.
 */
import type { MoeExpert } from '../../../workers/moe/moe-config.ts';
import { useStudio } from '../../stores/store.ts';
import { ModelField } from './ModelField.tsx';
import { NumberBox } from './NumberBox.tsx';
import { PromptsField } from './PromptsField.tsx';

export interface ExpertCardProps {
  readonly index: number;
  readonly expert: MoeExpert;
  readonly listId: string;
  /** Whether this gate mode builds routers from prompts (all but random). */
  readonly needsPrompts: boolean;
}

export function ExpertCard({ index, expert, listId, needsPrompts }: ExpertCardProps) {
  const update = useStudio((s) => s.updateMoeExpert);
  const remove = useStudio((s) => s.removeMoeExpert);
  const name = `Expert ${index + 1}`;
  return (
    <fieldset className="moe-expert">
      <legend>{name}</legend>
      <ModelField
        label="Source model"
        value={expert.source_model}
        listId={listId}
        onChange={(source_model) => update(index, { source_model })}
      />
      <PromptsField
        label="Positive prompts"
        prompts={expert.positive_prompts}
        onChange={(positive_prompts) => update(index, { positive_prompts })}
        missing={needsPrompts && !expert.positive_prompts}
        hint={
          needsPrompts
            ? 'One prompt a line: examples of what this expert should get.'
            : 'One prompt a line; random gates do not use them.'
        }
      />
      <PromptsField
        label="Negative prompts"
        prompts={expert.negative_prompts}
        onChange={(negative_prompts) => update(index, { negative_prompts })}
        hint="Optional, one a line: what this expert should not get."
      />
      <details
        className="moe-scales"
        open={expert.noise_scale !== undefined || expert.residual_scale !== undefined}
      >
        <summary>Noise and residual scale</summary>
        <NumberBox
          label="noise_scale"
          optional
          min={0}
          value={expert.noise_scale}
          placeholder="none"
          hint="Standard deviation of Gaussian noise added to this expert’s weights (seeded)."
          onChange={(noise_scale) => update(index, { noise_scale })}
        />
        <NumberBox
          label="residual_scale"
          optional
          value={expert.residual_scale}
          placeholder="1"
          hint="Factor on this expert’s down_proj, its output into the residual stream."
          onChange={(residual_scale) => update(index, { residual_scale })}
        />
      </details>
      <button type="button" onClick={() => remove(index)} aria-label={`Remove expert ${index + 1}`}>
        Remove
      </button>
    </fieldset>
  );
}
