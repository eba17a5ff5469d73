/** The MoE form's pure helpers: prompts one a line, warnings, the models a config reads. */
import { describe, expect, it } from 'vitest';
import {
  EMPTY_MOE,
  hasMultilinePrompt,
  moeFormWarnings,
  moeModelIds,
  promptsToText,
  textToPrompts,
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
