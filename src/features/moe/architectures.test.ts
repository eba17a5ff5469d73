/**
 * The output-architecture select's data agrees with the engine's: one option per name
 * mergekit-moe takes, each naming its architecture first; hints for values it does not list;
 * and the prompt fields' rules for routed and shared experts.
 */
import { describe, expect, it } from 'vitest';
import { ARCHITECTURE_KEYS } from '../../../workers/moe/arch/select.ts';
import { OUTPUT_ARCHITECTURES } from '../../../workers/moe/arch/types.ts';
import { EMPTY_MOE, namedArchitectures } from '../../stores/moe-edits.ts';
import {
  ARCHITECTURE_INFO,
  architectureHint,
  architectureNoun,
  CHOSEN_FROM_MODELS,
} from './architectures.ts';
import { expertPromptsRule, sharedPromptsRule } from './prompt-rules.ts';

describe('the output architectures', () => {
  it('an option per key the engine takes, each naming its own architecture first', () => {
    expect(ARCHITECTURE_INFO.map((a) => a.key)).toEqual([...ARCHITECTURE_KEYS]);
    expect(ARCHITECTURE_INFO.map((a) => a.name)).toEqual([...OUTPUT_ARCHITECTURES]);
    for (const a of ARCHITECTURE_INFO) expect(namedArchitectures(a.key)[0]).toBe(a.name);
  });

  it('hints: what each needs, what a prefix names, and a name that names none', () => {
    expect(architectureHint(undefined)).toBe(CHOSEN_FROM_MODELS);
    expect(architectureHint('deepseek')).toMatch(
      /at most one shared expert, without prompts.*trust_remote_code/,
    );
    expect(architectureHint('Mix')).toBe('mergekit matches the start of the name: this names Mixtral MoE.');
    expect(architectureHint('Q')).toBe(
      'mergekit matches the start of the name: this names Qwen2-MoE, Qwen3-MoE.',
    );
    expect(architectureHint('llama')).toMatch(/^No output architecture has a name that starts so/);
    expect(OUTPUT_ARCHITECTURES.map(architectureNoun)).toEqual([
      'Mixtral MoE',
      'DeepSeek MoE',
      'Qwen2-MoE',
      'Qwen3-MoE',
    ]);
  });
});

describe('prompt fields', () => {
  const bare = { source_model: 'm' };
  const prompted = { source_model: 'm', positive_prompts: ['p'] };

  it('a routed expert needs positive prompts unless gates are random', () => {
    expect(expertPromptsRule(EMPTY_MOE, bare).missing).toBe(true);
    expect(expertPromptsRule(EMPTY_MOE, prompted).missing).toBe(false);
    expect(expertPromptsRule({ ...EMPTY_MOE, gate_mode: 'random' }, bare).missing).toBe(false);
  });

  it('a shared expert needs them only for Qwen2-MoE; DeepSeek MoE is said to take none', () => {
    expect(sharedPromptsRule(EMPTY_MOE, bare)).toMatchObject({ missing: false, positiveHint: /^Optional/ });
    expect(sharedPromptsRule({ ...EMPTY_MOE, architecture: 'qwen' }, bare).missing).toBe(true);
    expect(sharedPromptsRule({ ...EMPTY_MOE, architecture: 'qwen' }, prompted).missing).toBe(false);
    const deepseek = sharedPromptsRule({ ...EMPTY_MOE, architecture: 'deepseek' }, prompted);
    expect(deepseek.missing).toBe(false);
    expect(deepseek.positiveHint).toMatch(/^None: DeepSeek MoE sends every token through/);
  });
});
