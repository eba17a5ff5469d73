/**
 * The tokenizer transplant slice and its pure edits: form edits make the options the worker
 * gets (the CLI's defaults when untouched) and the text a link keeps, which reads back as the
 * same settings; the chosen models fill the form; what must be fixed before Transplant is said
 * per field; untrusted text is refused with a reason; the run's states; the other tools' state
 * is not touched. No React.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { SurgeryJobResult } from '../../workers/runtime/api.ts';
import type { SurgeryProgress } from '../../workers/tokensurgeon/surgery-progress.ts';
import { useStudio } from './store.ts';
import {
  defaultSurgeryOutputName,
  EMPTY_SURGERY,
  parseSurgeryText,
  surgeryConfig,
  surgeryConfigToText,
  surgeryOptions,
  surgeryProblems,
  surgerySummary,
  type SurgeryConfig,
} from './tokensurgeon-edits.ts';
import {
  selectSurgeryFoldersBlock,
  selectSurgeryModelIds,
  selectSurgeryOptions,
  selectSurgeryOutputName,
  selectSurgeryText,
} from './tokensurgeon-selectors.ts';

const s = () => useStudio.getState();
const initial = useStudio.getState();

beforeEach(() => useStudio.setState(initial, true));

const problems = (c: Partial<SurgeryConfig>) =>
  surgeryProblems({ ...EMPTY_SURGERY, model: 'm', donor: 'd', ...c }).map((p) => [p.field, p.message]);

describe('the tokenizer transplant form', () => {
  it('sends the CLI’s defaults when untouched (mergekit-tokensurgeon’s)', () => {
    expect(surgeryOptions(EMPTY_SURGERY)).toEqual({
      method: 'omp',
      k: 64,
      cosineSimilarity: false,
      weightScheme: 'distance_proportional',
      subwordMethod: 'mean',
      batchSize: 512,
      seed: 0,
      byteMatch: 'no',
      prefixMatch: 'no',
      magikarp: false,
    });
  });

  it('form -> text -> form: the settings read back the same; noise and scale are sent only when they change rows', () => {
    s().updateSurgery({ model: 'org/llama@main', donor: 'my-donor' });
    s().updateSurgery({ method: 'common_interpolation', k: 8, weightScheme: 'least_squares' });
    s().updateSurgery({ byteMatch: 'embed', magikarp: true, newVocabNoise: 0.01, seed: 3 });
    const text = selectSurgeryText(s());
    expect(JSON.parse(text)).toEqual({
      model: 'org/llama@main',
      donor: 'my-donor',
      'approximation-method': 'common_interpolation',
      k: 8,
      'weight-scheme': 'least_squares',
      'byte-match': 'embed',
      magikarp: true,
      'new-vocab-noise': 0.01,
      seed: 3,
    });
    expect(parseSurgeryText(text)).toEqual({ config: s().surgery });
    expect(surgeryConfig('org/llama@main', 'my-donor', selectSurgeryOptions(s()))).toEqual(s().surgery);
    expect(selectSurgeryOptions(s())).toMatchObject({ newVocabNoise: 0.01, seed: 3, k: 8 });
    expect(selectSurgeryOptions(s())).not.toHaveProperty('newVocabScale');
    expect(selectSurgeryModelIds(s())).toEqual(['org/llama@main', 'my-donor']);
    expect(surgerySummary(s().surgery)).toBe('Tokenizer (common_interpolation): org/llama@main ← my-donor');
    expect(surgeryConfigToText(EMPTY_SURGERY)).toBe('{"model":"","donor":""}');
    s().updateSurgery({ method: 'subword', subwordMethod: 'weighted_mean' });
    const subword = selectSurgeryText(s());
    expect(JSON.parse(subword)).toMatchObject({ 'approximation-method': 'subword', 'subword-method': 'weighted_mean' }); // prettier-ignore
    expect(parseSurgeryText(subword)).toEqual({ config: s().surgery });
    expect(surgeryConfig('org/llama@main', 'my-donor', selectSurgeryOptions(s()))).toEqual(s().surgery);
  });

  it('refuses untrusted text with a reason, never half-read', () => {
    for (const [text, why] of [
      ['{"model":"a","donor":"b","approximation_method":"omp"}', 'unknown setting "approximation_method"'],
      ['{"model":"a","donor":"b","approximation-method":"mp-rope"}', 'approximation-method is not one of omp, common_interpolation, mp_rope, landmark_pca, stb, subword, mean, zero, randn, john_hewitt'], // prettier-ignore
      ['{"model":"a","donor":"b","subword-method":"max"}', 'subword-method is not one of mean, sum, weighted_mean, first_last'], // prettier-ignore
      ['{"model":"a","donor":"b","k":"8"}', 'k is not a number'],
      ['{"model":"a","donor":"b","byte-match":true}', 'byte-match is not one of no, yes, embed, lm_head'],
      ['{"model":1}', 'model is not a string'],
      ['"x"', 'the settings are not a JSON object'],
      ['{', 'the settings are not JSON'],
    ] as const) {
      expect(parseSurgeryText(text)).toEqual({ problem: why });
      expect(s().editSurgeryText(text)).toBe(false);
      expect(s().surgery).toEqual(EMPTY_SURGERY);
    }
  });

  it('says what to fix per field', () => {
    expect(problems({})).toEqual([]);
    expect(surgeryProblems(EMPTY_SURGERY).map((p) => p.field)).toEqual(['model', 'donor']);
    expect(problems({ donor: ' m ' })).toEqual([['donor', 'The donor is the model itself: its tokenizer is already the one it has.']]); // prettier-ignore
    expect(problems({ k: 0 })).toEqual([['k', 'k must be a whole number of at least 1.']]);
    expect(problems({ k: 2.5, newVocabNoise: -1, newVocabScale: NaN, seed: 2 ** 32 }).map((p) => p[0])).toEqual(['k', 'newVocabNoise', 'newVocabScale', 'seed']); // prettier-ignore
  });

  it('fills the models from the picker, names the output after both, and waits for lost folders', () => {
    s().setSurgeryFromChosen(['org/only']);
    expect(s().surgery.model).toBe('');
    s().setSurgeryFromChosen(['org/llama', 'other/mistral', 'x']);
    expect(s().surgery).toMatchObject({ model: 'org/llama', donor: 'other/mistral' });
    expect(selectSurgeryOutputName(s())).toBe('llama-with-mistral-tokenizer');
    expect(defaultSurgeryOutputName({ ...EMPTY_SURGERY, model: 'a+b/c' })).toBe('a-new-tokenizer');
    s().setSurgeryOutputName('mine');
    expect(selectSurgeryOutputName(s())).toBe('mine');
    expect(selectSurgeryFoldersBlock(s())).toBeUndefined();
    useStudio.setState({ lostLocalFolders: ['other/mistral'] });
    expect(selectSurgeryFoldersBlock(s())).toMatch(/^Open the folder of other\/mistral again first/);
  });

  it('runs: started, progress, log, done; failed and cancelled keep the error; the other tools untouched', () => {
    const { lora, moe, recipe } = s();
    s().updateSurgery({ model: 'm', donor: 'd' });
    s().surgeryRunStarted(s().surgery, 'out', 'the folder “out”');
    const p: SurgeryProgress = { phase: 'writing', tokensDone: 0, tokensTotal: 0, tensorsDone: 1, tensorsTotal: 3, elapsedMs: 5 }; // prettier-ignore
    s().surgeryRunProgress(p);
    s().surgeryRunLog('a line');
    expect(s().surgeryRun).toMatchObject({
      status: 'running',
      progress: p,
      logs: ['a line'],
      outputName: 'out',
    });
    s().surgeryRunFinished({ vocabSize: 35 } as SurgeryJobResult);
    expect(s().surgeryRun).toMatchObject({ status: 'done', result: { vocabSize: 35 } });
    s().surgeryRunStarted(s().surgery, 'out', 'x');
    s().surgeryRunCancelling();
    s().surgeryRunFailed('stopped', true);
    expect(s().surgeryRun).toMatchObject({ status: 'cancelled', error: 'stopped', progress: undefined });
    expect([s().lora, s().moe, s().recipe]).toEqual([lora, moe, recipe]);
  });
});
