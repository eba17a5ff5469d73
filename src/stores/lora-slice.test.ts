/**
 * The Extract LoRA slice and its pure edits: form edits make the settings the worker gets and
 * the text a link keeps, which reads back as the same settings; the chosen models fill the
 * form; what must be fixed before Extract is said per field (a bad pattern names itself, not a
 * crash); the run's states; the merge's and the MoE builder's state are not touched. No React.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ExtractProgress } from '../../workers/lora-extract/extract-progress.ts';
import type { LoraExtractResult } from '../../workers/runtime/api.ts';
import {
  defaultLoraOutputName,
  EMPTY_LORA,
  fromChosenModels,
  linesToList,
  loraConfigToText,
  loraProblems,
  loraSummary,
  parseLoraText,
  type LoraConfig,
} from './lora-edits.ts';
import {
  selectLoraFoldersBlock,
  selectLoraModelIds,
  selectLoraOptions,
  selectLoraOutputName,
  selectLoraProblems,
  selectLoraText,
} from './lora-selectors.ts';
import { useStudio } from './store.ts';

const s = () => useStudio.getState();
const initial = useStudio.getState();

beforeEach(() => useStudio.setState(initial, true));

/** Settings made with the form's actions, as a user clicks them. */
function fillForm(): void {
  s().updateLora({ model: 'org/code-ft', base: 'org/base' });
  s().updateLora({ maxRank: 16 });
  s().updateLora({ svEpsilon: 0.5, embedLora: true });
  s().updateLora({ includeRegexes: linesToList('self_attn\n\n  mlp  \n') });
  s().updateLora({ saveModules: linesToList(' lm_head \n\nmodel.norm', true) });
}

/** The problems of settings with both models named, as [field, message]. */
const problems = (c: Partial<LoraConfig>) =>
  loraProblems({ ...EMPTY_LORA, model: 'ft', base: 'base', ...c }).map((p) => [p.field, p.message]);

describe('the Extract LoRA form', () => {
  it('form -> text -> form: the settings read back the same; the worker gets the options alone', () => {
    fillForm();
    const form = s().lora;
    expect(form.includeRegexes).toEqual(['self_attn', '  mlp  ']);
    expect(form.saveModules).toEqual(['lm_head', 'model.norm']);
    const text = selectLoraText(s());
    expect(text).toBe(
      '{"model":"org/code-ft","base":"org/base","max-rank":16,"sv-epsilon":0.5,"embed-lora":true,' +
        '"save-module":["lm_head","model.norm"],"include-regex":["self_attn","  mlp  "]}',
    );
    expect(parseLoraText(text)).toEqual({ config: form });
    useStudio.setState(initial, true);
    expect(s().editLoraText(text)).toBe(true);
    expect(s().lora).toEqual(form);
    expect(selectLoraOptions(s())).toEqual({
      maxRank: 16,
      svEpsilon: 0.5,
      distributeScale: true,
      embedLora: true,
      skipUndecomposable: false,
      loraBias: false,
      saveModules: ['lm_head', 'model.norm'],
      includeRegexes: ['self_attn', '  mlp  '],
      excludeRegexes: [],
    });
    expect(selectLoraModelIds(s())).toEqual(['org/code-ft', 'org/base']);
    expect(loraSummary(form)).toBe('LoRA (max rank 16): org/code-ft − org/base');
  });

  it('"Set lora_bias" goes into the text as --lora-bias and back, and to the worker', () => {
    const config = { ...EMPTY_LORA, model: 'org/ft', base: 'org/base', loraBias: true };
    const text = loraConfigToText(config);
    expect(text).toBe('{"model":"org/ft","base":"org/base","lora-bias":true}');
    expect(parseLoraText(text)).toEqual({ config });
    expect(s().editLoraText(text)).toBe(true);
    expect(selectLoraOptions(s()).loraBias).toBe(true);
  });

  it('text that is not settings leaves the form as it was', () => {
    fillForm();
    const form = s().lora;
    expect(s().editLoraText('model: x')).toBe(false);
    expect(s().editLoraText('{"model":1}')).toBe(false);
    expect(s().lora).toBe(form);
    expect(loraConfigToText(EMPTY_LORA)).toBe('{"model":"","base":""}');
  });

  it('the chosen models: the picker’s base (else the first) and the first other one', () => {
    expect(fromChosenModels(EMPTY_LORA, ['a', 'b', 'c'], 'b')).toMatchObject({ base: 'b', model: 'a' });
    expect(fromChosenModels(EMPTY_LORA, ['a', 'b'])).toMatchObject({ base: 'a', model: 'b' });
    // The fine-tuned model stays while it is still chosen; one model alone is the base.
    expect(fromChosenModels({ ...EMPTY_LORA, model: 'c' }, ['a', 'b', 'c'])).toMatchObject({ model: 'c' });
    expect(fromChosenModels({ ...EMPTY_LORA, model: 'x' }, ['a'])).toMatchObject({ base: 'a', model: 'x' });
    s().setLoraFromChosen(['tinymix-base', 'tinymix-code'], 'tinymix-base');
    expect(s().lora).toMatchObject({ base: 'tinymix-base', model: 'tinymix-code', maxRank: 128 });
  });

  it('says what to fix before Extract, at its field: a bad pattern is named, not thrown', () => {
    expect(loraProblems(EMPTY_LORA).map((p) => p.field)).toEqual(['model', 'base']);
    expect(problems({})).toEqual([]);
    expect(problems({ base: 'ft' })).toEqual([
      ['base', 'The base is the fine-tuned model itself: there is no difference to extract.'],
    ]);
    expect(problems({ maxRank: 0 })[0]![0]).toBe('maxRank');
    expect(problems({ maxRank: 2.5 })[0]![0]).toBe('maxRank');
    expect(problems({ svEpsilon: -1 })[0]![0]).toBe('svEpsilon');
    const bad = problems({ includeRegexes: ['self_attn', '(q_proj'], excludeRegexes: ['[a-'] });
    expect(bad).toHaveLength(2);
    expect(bad[0]![0]).toBe('includeRegexes');
    expect(bad[0]![1]).toMatch(/^Include pattern 2, \(q_proj, is not a regular expression: .+/);
    expect(bad[1]![1]).toMatch(/^Exclude pattern 1, \[a-, is not a regular expression: .+/);
    s().updateLora({ model: 'ft', base: 'base', includeRegexes: ['('] });
    expect(selectLoraProblems(s()).map((p) => p.field)).toEqual(['includeRegexes']);
  });

  it('the output folder: as typed, else the fine-tuned model’s name with -lora', () => {
    expect(defaultLoraOutputName({ ...EMPTY_LORA, model: 'org/code-ft@main' })).toBe('code-ft-lora');
    expect(defaultLoraOutputName({ ...EMPTY_LORA, model: 'tinymix-code+org/extra' })).toBe(
      'tinymix-code-lora',
    );
    expect(defaultLoraOutputName(EMPTY_LORA)).toBe('lora-adapter');
    s().updateLora({ model: 'tinymix-code' });
    expect(selectLoraOutputName(s())).toBe('tinymix-code-lora');
    s().setLoraOutputName('  mine ');
    expect(selectLoraOutputName(s())).toBe('mine');
  });

  it('a model from a folder lost in a reload blocks Extract until it is opened again', () => {
    s().updateLora({ model: 'my-ft', base: 'org/base' });
    useStudio.setState({ lostLocalFolders: ['my-ft'] });
    expect(selectLoraFoldersBlock(s())).toMatch(/^Open the folder of my-ft again first/);
    useStudio.setState({ localFolders: { 'my-ft': { files: 2, bytes: 10 } } });
    expect(selectLoraFoldersBlock(s())).toBeUndefined();
  });
});

describe('the Extract LoRA run', () => {
  const progress: ExtractProgress = { phase: 'extracting', modulesDone: 3, modulesTotal: 28, elapsedMs: 500 };

  it('goes running -> done with progress, log and result, and touches no other tool', () => {
    const { recipe, moe, runStatus } = s();
    fillForm();
    s().loraRunStarted(s().lora, 'code-lora', 'the folder “x”');
    expect(s().loraRun).toMatchObject({ status: 'running', outputName: 'code-lora', config: s().lora });
    s().loraRunProgress(progress);
    for (let i = 0; i < 250; i++) s().loraRunLog(`line ${i}`);
    expect(s().loraRun.logs).toHaveLength(200);
    expect(s().loraRun.logs.at(-1)).toBe('line 249');
    const result = { rank: 8, modules: [] } as unknown as LoraExtractResult;
    s().loraRunFinished(result);
    expect(s().loraRun).toMatchObject({ status: 'done', result, progress });
    expect(s().recipe).toBe(recipe);
    expect(s().moe).toBe(moe);
    expect(s().runStatus).toBe(runStatus);
  });

  it('a cancelled or failed run drops its stale progress; a new run starts clean', () => {
    s().loraRunStarted(EMPTY_LORA, 'a', 'browser storage', 'merges/a');
    s().loraRunProgress(progress);
    s().loraRunCancelling();
    expect(s().loraRun.status).toBe('cancelling');
    s().loraRunFailed('cancelled', true);
    expect(s().loraRun).toMatchObject({ status: 'cancelled', error: 'cancelled', progress: undefined });
    s().loraRunStarted(EMPTY_LORA, 'b', 'browser storage', 'merges/b');
    expect(s().loraRun).toMatchObject({
      status: 'running',
      error: undefined,
      savedFolder: 'merges/b',
      logs: [],
    });
    s().loraRunFailed('boom', false);
    expect(s().loraRun.status).toBe('failed');
  });
});
