/**
 * What an expert card's prompt fields say: for a routed expert, the gate mode decides (every
 * mode but random makes router rows from prompts); for a shared expert, the output
 * architecture does (only Qwen2-MoE gates its shared expert, DeepSeek MoE takes no prompts).
 * The YAML's problem list has the CLI's exact message either way; this only marks the field.
 */
import type { MoeConfig, MoeExpert } from '../../../workers/moe/moe-config.ts';
import { sharedPrompts, type SharedPrompts } from '../../stores/moe-edits.ts';

/** What an expert card's positive prompts field says, and whether it marks them missing. */
export interface PromptsRule {
  /** The config needs positive prompts here and there are none. */
  readonly missing: boolean;
  readonly positiveHint: string;
  readonly negativeHint: string;
}

const NEGATIVE = 'Optional, one a line: what this expert should not get.';

const hasPositive = (e: MoeExpert): boolean => (e.positive_prompts?.length ?? 0) > 0;

export function expertPromptsRule(c: MoeConfig, e: MoeExpert): PromptsRule {
  const needed = c.gate_mode !== 'random';
  return {
    missing: needed && !hasPositive(e),
    positiveHint: needed
      ? 'One prompt a line: examples of what this expert should get.'
      : 'One prompt a line; random gates do not use them.',
    negativeHint: NEGATIVE,
  };
}

const SHARED_HINT: Readonly<Record<SharedPrompts, string>> = {
  needed: 'One prompt a line: what Qwen2-MoE’s gate on this shared expert opens for.',
  unused: 'One prompt a line; random gates do not use them.',
  refused: 'None: DeepSeek MoE sends every token through its shared expert, ungated.',
  optional:
    'Optional: with prompts, a Qwen2-MoE gates this shared expert by them; without, a DeepSeek MoE sends every token through it.',
  none: 'The chosen output architecture has no shared experts.',
};

export function sharedPromptsRule(c: MoeConfig, e: MoeExpert): PromptsRule {
  const rule = sharedPrompts(c);
  return {
    missing: rule === 'needed' && !hasPositive(e),
    positiveHint: SHARED_HINT[rule],
    negativeHint: rule === 'refused' || rule === 'none' ? SHARED_HINT[rule] : NEGATIVE,
  };
}
