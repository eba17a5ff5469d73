/**
 * The MoE form's pure helpers: prompts one a line, warnings, the models a config reads, shared
 * experts and the output architecture.
 */
import { describe, expect, it } from 'vitest';
import type { MoeConfig } from '../../workers/moe/moe-config.ts';
import {
  addExpert,
  EMPTY_MOE,
  fromChosenModels,
  hasMultilinePrompt,
  moeFormWarnings,
  moeModelIds,
  moeSummary,
  namedArchitectures,
  promptsToText,
  removeExpert,
  setArchitecture,
  sharedPrompts,
  textToPrompts,
  updateExpert,
} from './moe-edits.ts';

describe('prompts in a text area', () => {
  it('one prompt a line, as typed: blank lines are not prompts, indentation is kept', () => {
    expect(textToPrompts('def f(x):\n\n    return x\r\n  \nimport os\n')).toEqual([
      'def f(x):',
      '    return x',
      'import os',
    ]);
    expect(textToPrompts('')).toEqual([]);
    const prompts = ['def merge(a, b):', '  indented', '37+45=82'];
    expect(textToPrompts(promptsToText(prompts))).toEqual(prompts);
    expect(promptsToText(undefined)).toBe('');
  });

  it('a prompt that spans lines is noticed (the form leaves it to the YAML)', () => {
    expect(hasMultilinePrompt(['a', 'Question:\nAnswer:'])).toBe(true);
    expect(hasMultilinePrompt(['a', 'b'])).toBe(false);
    expect(hasMultilinePrompt(undefined)).toBe(false);
  });
});

const experts = (n: number) => ({
  ...EMPTY_MOE,
  experts: Array.from({ length: n }, (_, i) => ({ source_model: `m${i}` })),
});

describe('moeFormWarnings', () => {
  it('warns of an expert count that is not a power of two, in mergekit’s words', () => {
    expect(moeFormWarnings(experts(3))).toEqual([
      'the model has 3 experts, which is not a power of two: it will not be usable in llama.cpp',
    ]);
    for (const n of [0, 1, 2, 4, 8]) expect(moeFormWarnings(experts(n))).toEqual([]);
    expect(moeFormWarnings(experts(6))).toHaveLength(1);
  });
});

describe('moeModelIds', () => {
  it('the base first, each model once, no empty names', () => {
    expect(
      moeModelIds({
        ...EMPTY_MOE,
        base_model: 'base',
        experts: [
          { source_model: 'a' },
          { source_model: '' },
          { source_model: 'base' },
          { source_model: 'a' },
        ],
      }),
    ).toEqual(['base', 'a']);
  });
});

describe('shared experts and the output architecture', () => {
  const base = { ...experts(2), base_model: 'base' };

  it('adds, updates and removes a shared expert as an expert, in its own list', () => {
    let c = addExpert(base, 'shared-model', 'shared_experts');
    expect(c.shared_experts).toEqual([{ source_model: 'shared-model' }]);
    expect(c.experts).toBe(base.experts);
    c = updateExpert(c, 0, { positive_prompts: ['a'], noise_scale: 0.1 }, 'shared_experts');
    c = updateExpert(c, 0, { noise_scale: undefined, negative_prompts: [] }, 'shared_experts');
    expect(c.shared_experts).toEqual([{ source_model: 'shared-model', positive_prompts: ['a'] }]);
    expect(updateExpert(c, 3, { source_model: 'x' }, 'shared_experts')).toBe(c);
    c = addExpert(c, '', 'shared_experts');
    expect(removeExpert(c, 0, 'shared_experts').shared_experts).toEqual([{ source_model: '' }]);
    // The last one removed: the key goes, as a config without shared experts has none.
    expect(removeExpert(removeExpert(c, 1, 'shared_experts'), 0, 'shared_experts')).toEqual(base);
  });

  it('sets and clears the architecture, as written', () => {
    const c = setArchitecture(base, 'deepseek');
    expect(c.architecture).toBe('deepseek');
    expect(setArchitecture(c, 'Mix').architecture).toBe('Mix');
    expect(setArchitecture(c, undefined)).toEqual(base);
    expect('architecture' in setArchitecture(c, '')).toBe(false);
  });

  it('names architectures as mergekit matches them: a prefix, in any case', () => {
    expect(namedArchitectures(undefined)).toEqual(['Mixtral', 'DeepSeek MoE', 'Qwen MoE', 'Qwen3 MoE']);
    expect(namedArchitectures('qwen')).toEqual(['Qwen MoE', 'Qwen3 MoE']);
    expect(namedArchitectures('Qwen3')).toEqual(['Qwen3 MoE']);
    expect(namedArchitectures('Mix')).toEqual(['Mixtral']);
    expect(namedArchitectures('llama')).toEqual([]);
  });

  const rule = (architecture: string | undefined, gate_mode: MoeConfig['gate_mode'] = 'hidden') =>
    sharedPrompts(setArchitecture({ ...base, gate_mode }, architecture));

  it('a shared expert’s prompts: only Qwen2-MoE needs them, DeepSeek MoE takes none', () => {
    expect(rule(undefined)).toBe('optional');
    expect(rule('deepseek')).toBe('refused');
    expect(rule('qwen')).toBe('needed');
    expect(rule('qwen', 'random')).toBe('unused');
    expect(rule('qwen', 'uniform_random')).toBe('needed');
    expect(rule('mixtral')).toBe('none');
    expect(rule('qwen3')).toBe('none');
  });

  it('the models read include the shared experts’; the chosen models keep them', () => {
    const c = addExpert({ ...base, experts: [{ source_model: 'a' }] }, 'shared', 'shared_experts');
    expect(moeModelIds(addExpert(c, 'a', 'shared_experts'))).toEqual(['base', 'a', 'shared']);
    const chosen = fromChosenModels(setArchitecture(c, 'deepseek'), ['base', 'b', 'c']);
    expect(chosen.experts).toEqual([{ source_model: 'b' }, { source_model: 'c' }]);
    expect(chosen.shared_experts).toEqual([{ source_model: 'shared' }]);
    expect(chosen.architecture).toBe('deepseek');
  });

  it('"Recent recipes" names the shared experts when there are some', () => {
    expect(moeSummary(base)).toBe('MoE (hidden): base + 2 experts');
    expect(moeSummary(addExpert(base, 'x', 'shared_experts'))).toBe(
      'MoE (hidden): base + 2 experts + 1 shared expert',
    );
    expect(moeSummary({ ...EMPTY_MOE, experts: [{ source_model: 'x' }] })).toBe(
      'MoE (hidden): no base + 1 expert',
    );
  });
});
