/**
 * The MoE slice: form edits make the YAML the CLI runs, with the CLI's line-numbered problems;
 * that YAML read back is the same form (form -> YAML -> form); YAML typed by hand fills the form
 * or stays a draft; the merge's state is not touched. No React.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { parseMoeYaml } from '../../workers/moe/moe-yaml.ts';
import { formatProblem } from '../../workers/plan/problems.ts';
import type { MergeProgress } from '../../workers/protocol.ts';
import type { MoeResult } from '../../workers/moe/build-moe.ts';
import { EMPTY_MOE } from './moe-edits.ts';
import {
  selectMoeErrors,
  selectMoeFoldersBlock,
  selectMoeModelIds,
  selectMoeProblems,
  selectMoeYaml,
} from './moe-selectors.ts';
import { useStudio } from './store.ts';

const s = () => useStudio.getState();
const errors = () => selectMoeErrors(s()).map((p) => formatProblem(p));

/** A three-expert config made with the form's actions, as a user clicks it. */
function buildWithForm(): void {
  s().setMoeBase('tinymix-base');
  s().setMoeGateMode('cheap_embed');
  s().setMoeDtype('bfloat16');
  s().addMoeExpert('tinymix-code');
  s().updateMoeExpert(0, { positive_prompts: ['def merge(a, b):', 'import os'] });
  s().addMoeExpert();
  s().updateMoeExpert(1, { source_model: 'tinymix-math', positive_prompts: ['37+45=82'] });
  s().updateMoeExpert(1, { negative_prompts: ['def'], noise_scale: 0.01 });
  s().addMoeExpert('tinymix-law');
  s().updateMoeExpert(2, { positive_prompts: ['The licensee shall', 'yes'], residual_scale: 0.5 });
}

beforeEach(() => {
  s().setMoe(EMPTY_MOE);
  s().setMoeOptions({ allowAllSame: false });
  s().discardMoeDraft();
});

describe('the MoE form', () => {
  it('form -> YAML -> form: the YAML of the form reads back as the same config', () => {
    buildWithForm();
    const form = s().moe;
    const yaml = selectMoeYaml(s());
    expect(yaml).toBe(
      [
        'base_model: tinymix-base',
        'gate_mode: cheap_embed',
        'dtype: bfloat16',
        'experts_per_token: 2',
        'experts:',
        '  - source_model: tinymix-code',
        '    positive_prompts:',
        '      - "def merge(a, b):"',
        '      - import os',
        '  - source_model: tinymix-math',
        '    positive_prompts:',
        '      - 37+45=82',
        '    negative_prompts:',
        '      - def',
        '    noise_scale: 0.01',
        '  - source_model: tinymix-law',
        '    positive_prompts:',
        '      - The licensee shall',
        '      - "yes"',
        '    residual_scale: 0.5',
        '',
      ].join('\n'),
    );
    expect(parseMoeYaml(yaml).config).toEqual(form);
    // Through the YAML editor: the same config comes back into the form.
    s().setMoe(EMPTY_MOE);
    expect(s().editMoeYaml(yaml)).toBe(true);
    expect(s().moe).toEqual(form);
    expect(selectMoeYaml(s())).toBe(yaml);
    expect(selectMoeProblems(s())).toEqual([]);
  });

  it('YAML -> form -> YAML: an imported mergekit-moe file fills the form', () => {
    const file = `base_model: tinymix-base
gate_mode: hidden # mergekit's default
experts:
  - source_model: tinymix-code
    positive_prompts: ["def f(x):"]
    negative_prompts: []
  - source_model: tinymix-math
    positive_prompts:
      - |
        Question: 2+2
        Answer:
`;
    expect(s().editMoeYaml(file)).toBe(true);
    expect(s().moe).toEqual({
      base_model: 'tinymix-base',
      gate_mode: 'hidden',
      experts_per_token: 2,
      // An empty prompt list is no list: the form never holds one.
      experts: [
        { source_model: 'tinymix-code', positive_prompts: ['def f(x):'] },
        { source_model: 'tinymix-math', positive_prompts: ['Question: 2+2\nAnswer:\n'] },
      ],
    });
    expect(s().editMoeYaml(selectMoeYaml(s()))).toBe(true);
    expect(parseMoeYaml(selectMoeYaml(s())).config).toEqual(s().moe);
  });

  it('an unfinished form has the CLI’s problems, with the lines of its YAML', () => {
    // As the CLI: mergekit's rules are checked once the shape is right.
    expect(errors()).toEqual(['1:1: base_model: a model name is required']);
    s().setMoeBase('tinymix-base');
    expect(errors()).toEqual([
      '4:1: experts: 0 expert(s) for experts_per_token 2: list at least as many experts as experts_per_token',
    ]);
    s().setMoeGateMode('cheap_embed');
    s().addMoeExpert('tinymix-code');
    s().addMoeExpert('tinymix-math');
    expect(errors()).toEqual([
      "5:5: experts[0]: expert 0 has no positive_prompts: gate_mode cheap_embed builds each expert's router row from example prompts of what it should get (gate_mode random needs none)",
    ]);
    s().setMoeGateMode('random');
    expect(errors()).toEqual([]);
    s().setMoeExpertsPerToken(3);
    expect(errors()[0]).toMatch(/^4:1: experts: 2 expert\(s\) for experts_per_token 3/);
  });

  it('every expert the same model is refused unless allowed (mergekit’s flag)', () => {
    s().setMoeBase('tinymix-base');
    s().setMoeGateMode('cheap_embed');
    s().addMoeExpert('tinymix-code');
    s().addMoeExpert('tinymix-code');
    s().updateMoeExpert(0, { positive_prompts: ['a'] });
    s().updateMoeExpert(1, { positive_prompts: ['b'] });
    expect(errors()[0]).toMatch(/all the expert models are the same \(tinymix-code\)/);
    s().setMoeOptions({ allowAllSame: true });
    expect(errors()).toEqual([]);
  });

  it('YAML that is not a config’s shape stays a draft; the form keeps its config and Build waits', () => {
    buildWithForm();
    const form = s().moe;
    const typo = selectMoeYaml(s()).replace('gate_mode', 'gate_mdoe');
    expect(s().editMoeYaml(typo)).toBe(false);
    expect(s().moeDraft).toBe(typo);
    expect(s().moe).toBe(form);
    expect(errors()).toEqual([
      "2:1: gate_mdoe: unknown key 'gate_mdoe' (did you mean 'gate_mode'?); mergekit would ignore it silently",
    ]);
    // A form edit wins over the draft.
    s().setMoeGateMode('hidden');
    expect(s().moeDraft).toBeUndefined();
    expect(errors()).toEqual([]);
  });

  it('clearing an optional number or every prompt removes the key', () => {
    buildWithForm();
    s().updateMoeExpert(1, { noise_scale: undefined, negative_prompts: [] });
    expect(s().moe.experts[1]).toEqual({ source_model: 'tinymix-math', positive_prompts: ['37+45=82'] });
    s().removeMoeExpert(0);
    expect(s().moe.experts.map((e) => e.source_model)).toEqual(['tinymix-math', 'tinymix-law']);
    s().setMoeDtype(undefined);
    expect(selectMoeYaml(s())).not.toContain('dtype');
  });

  it('the chosen models become the base and experts; experts kept keep their prompts', () => {
    buildWithForm();
    s().setMoeFromChosen(['tinymix-base', 'tinymix-math', 'tinymix-code-b'], 'tinymix-base');
    expect(s().moe.base_model).toBe('tinymix-base');
    expect(s().moe.experts).toEqual([
      {
        source_model: 'tinymix-math',
        positive_prompts: ['37+45=82'],
        negative_prompts: ['def'],
        noise_scale: 0.01,
      },
      { source_model: 'tinymix-code-b' },
    ]);
    expect(selectMoeModelIds(s())).toEqual(['tinymix-base', 'tinymix-math', 'tinymix-code-b']);
  });

  it('shared experts and the architecture: form -> YAML -> form, with the CLI’s rules', () => {
    buildWithForm();
    s().setMoeArchitecture('deepseek');
    s().addMoeSharedExpert('tinymix-base');
    s().updateMoeSharedExpert(0, { residual_scale: 0.5 });
    const yaml = selectMoeYaml(s());
    expect(yaml).toMatch(/^base_model: tinymix-base\narchitecture: deepseek\ngate_mode: cheap_embed\n/);
    expect(yaml).toMatch(/\nshared_experts:\n {2}- source_model: tinymix-base\n {4}residual_scale: 0.5\n$/);
    expect(errors()).toEqual([]);
    const form = s().moe;
    expect(parseMoeYaml(yaml).config).toEqual(form);
    s().setMoe(EMPTY_MOE);
    expect(s().editMoeYaml(yaml)).toBe(true);
    expect(s().moe).toEqual(form);
    expect(selectMoeModelIds(s())).toEqual(['tinymix-base', 'tinymix-code', 'tinymix-math', 'tinymix-law']);

    // DeepSeek does not gate its shared expert; Qwen2-MoE does, from its prompts: the CLI's words.
    s().updateMoeSharedExpert(0, { positive_prompts: ['hello'] });
    expect(errors()).toEqual([
      '23:5: shared_experts[0]: DeepSeek MoE does not gate its shared expert: it takes no prompts (architecture: deepseek)',
    ]);
    s().setMoeArchitecture('qwen');
    expect(errors()).toEqual([]);
    s().updateMoeSharedExpert(0, { positive_prompts: [] });
    // (qwen also names Qwen3 MoE, which has no shared experts: both reasons are given.)
    expect(errors()[0]).toMatch(
      /^23:5: shared_experts\[0\]: .*Qwen MoE gates its shared expert: with gate_mode cheap_embed it needs positive_prompts/,
    );
    // Left out, mergekit chooses: a shared expert without prompts makes a DeepSeek MoE.
    s().setMoeArchitecture(undefined);
    expect(errors()).toEqual([]);
    expect(selectMoeYaml(s())).not.toContain('architecture');
    s().removeMoeSharedExpert(0);
    expect(s().moe).not.toHaveProperty('shared_experts');
  });

  it('an architecture the form does not list is kept as written', () => {
    buildWithForm();
    expect(s().editMoeYaml(selectMoeYaml(s()).replace('gate_mode:', 'architecture: Mix\ngate_mode:'))).toBe(
      true,
    );
    expect(s().moe.architecture).toBe('Mix');
    expect(selectMoeYaml(s())).toContain('\narchitecture: Mix\n');
    expect(errors()).toEqual([]);
    s().setMoeArchitecture('llama');
    expect(errors()[0]).toMatch(/^2:\d+: architecture: no output architecture is called "llama"/);
  });

  it('a local folder lost in a reload blocks the build', () => {
    buildWithForm();
    expect(selectMoeFoldersBlock(s())).toBeUndefined();
    useStudio.setState({ lostLocalFolders: ['tinymix-law'] });
    expect(selectMoeFoldersBlock(s())).toMatch(/^Open the folder of tinymix-law again first/);
    useStudio.setState({ lostLocalFolders: [] });
  });
});

describe('the MoE build state', () => {
  const progress = { phase: 'merging', tensorsDone: 3, tensorsTotal: 55 } as MergeProgress;

  it('runs apart from the merge: a build never touches the merge’s run or recipe', () => {
    const recipe = s().recipe;
    const runStatus = s().runStatus;
    s().setStudioMode('moe');
    s().moeRunStarted('the folder “x”');
    s().moeRunProgress(progress);
    s().moeRunLog('warning: layer 0 has degenerate routing parameters');
    expect(s().moeRun).toMatchObject({ status: 'running', progress, savedTo: 'the folder “x”' });
    s().moeRunFinished({ files: [] } as unknown as MoeResult);
    expect(s().moeRun.status).toBe('done');
    expect(s().runStatus).toBe(runStatus);
    expect(s().recipe).toBe(recipe);
    s().setStudioMode('merge');
  });

  it('a cancelled build drops its last progress; a new one starts clean', () => {
    s().moeRunStarted('browser storage', 'merges/moe-model');
    s().moeRunProgress(progress);
    s().moeRunCancelling();
    expect(s().moeRun.status).toBe('cancelling');
    s().moeRunFailed('The build was cancelled.', true);
    expect(s().moeRun).toMatchObject({
      status: 'cancelled',
      progress: undefined,
      savedFolder: 'merges/moe-model',
    });
    s().moeRunStarted('the folder “y”');
    expect(s().moeRun).toMatchObject({
      status: 'running',
      error: undefined,
      logs: [],
      savedFolder: undefined,
    });
  });
});
