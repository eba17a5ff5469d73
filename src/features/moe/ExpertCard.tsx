/**
 * One expert, routed or shared: the model whose MLP it is, the prompts its router row (or a
 * shared expert's gate) is made from, and the optional noise and residual scales. The card
 * edits through its callbacks, so both lists use it; what the prompts are for (needed, unused,
 * refused) is the form's to say. Every value is the user's text, shown as text.
 */
import type { MoeExpert } from '../../../workers/moe/moe-config.ts';
import type { ExpertPatch } from '../../stores/moe-edits.ts';
import { ModelField } from './ModelField.tsx';
import { NumberBox } from './NumberBox.tsx';
import type { PromptsRule } from './prompt-rules.ts';
import { PromptsField } from './PromptsField.tsx';

export interface ExpertCardProps {
  /** "Expert 2", "Shared expert 1": the card's legend (and its group's name). */
  readonly name: string;
  readonly expert: MoeExpert;
  readonly listId: string;
  readonly prompts: PromptsRule;
  readonly onChange: (patch: ExpertPatch) => void;
  readonly onRemove: () => void;
}

export function ExpertCard({ name, expert, listId, prompts, onChange, onRemove }: ExpertCardProps) {
  return (
    <fieldset className="moe-expert">
      <legend>{name}</legend>
      <ModelField
        label="Source model"
        value={expert.source_model}
        listId={listId}
        onChange={(source_model) => onChange({ source_model })}
      />
      <PromptsField
        label="Positive prompts"
        prompts={expert.positive_prompts}
        onChange={(positive_prompts) => onChange({ positive_prompts })}
        missing={prompts.missing}
        hint={prompts.positiveHint}
      />
      <PromptsField
        label="Negative prompts"
        prompts={expert.negative_prompts}
        onChange={(negative_prompts) => onChange({ negative_prompts })}
        hint={prompts.negativeHint}
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
          onChange={(noise_scale) => onChange({ noise_scale })}
        />
        <NumberBox
          label="residual_scale"
          optional
          value={expert.residual_scale}
          placeholder="1"
          hint="Factor on this expert’s down_proj, its output into the residual stream."
          onChange={(residual_scale) => onChange({ residual_scale })}
        />
      </details>
      <button type="button" onClick={onRemove} aria-label={`Remove ${name.toLowerCase()}`}>
        Remove
      </button>
    </fieldset>
  );
}
