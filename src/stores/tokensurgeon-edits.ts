/**
 * Pure edits of the tokenizer transplant form (mergekit-tokensurgeon; the slice,
 * ./tokensurgeon-slice.ts, only stores their results): the model, the donor and the CLI's
 * options, what is wrong with them before anything is read, and the settings as text for the
 * page's link and "Recent recipes".
 *
 * The text is JSON whose keys are `merge-studio tokensurgeon`'s long options
 * (`approximation-method`, `k`, ...; mergekit-tokensurgeon's names), with the defaults left out
 * (./settings-text.ts).
 */
import {
  APPROXIMATION_METHODS,
  USES_K,
  type ApproximationMethod,
} from '../../workers/tokensurgeon/approximate.ts';
import { WEIGHT_SCHEMES, type WeightScheme } from '../../workers/tokensurgeon/common-interpolation.ts';
import {
  ALLOW_MATCH,
  type AllowMatch,
  type SurgeryOptions,
} from '../../workers/tokensurgeon/run-tokensurgeon.ts';
import { SUBWORD_METHODS, type SubwordMethod } from '../../workers/tokensurgeon/subword.ts';
import { settingsCodec, type SettingKey } from './settings-text.ts';

export interface SurgeryConfig {
  /** The model that gets the new tokenizer (a hub id, an opened folder's name, `base+adapter`). */
  readonly model: string;
  /** The model whose tokenizer it gets. */
  readonly donor: string;
  readonly method: ApproximationMethod;
  readonly k: number;
  readonly cosineSimilarity: boolean;
  readonly weightScheme: WeightScheme;
  /** How subword combines the rows of the token's pieces. */
  readonly subwordMethod: SubwordMethod;
  readonly byteMatch: AllowMatch;
  readonly prefixMatch: AllowMatch;
  readonly magikarp: boolean;
  /** Standard deviation of the noise added to new tokens' rows; 0: none. */
  readonly newVocabNoise: number;
  /** Factor on new tokens' rows; 1: none. */
  readonly newVocabScale: number;
  /** Seed of randn, john_hewitt and the noise. */
  readonly seed: number;
}

/** The CLI's defaults (mergekit-tokensurgeon's). */
export const EMPTY_SURGERY: SurgeryConfig = {
  model: '',
  donor: '',
  method: 'omp',
  k: 64,
  cosineSimilarity: false,
  weightScheme: 'distance_proportional',
  subwordMethod: 'mean',
  byteMatch: 'no',
  prefixMatch: 'no',
  magikarp: false,
  newVocabNoise: 0,
  newVocabScale: 1,
  seed: 0,
};

/** The CLI's --batch-size default: tokens between progress reports (the result does not depend on it). */
const BATCH_SIZE = 512;

export type SurgeryField = keyof SurgeryConfig;

export interface SurgeryProblem {
  readonly field: SurgeryField;
  readonly message: string;
}

/** Whether the method reads k. */
export const usesK = (m: ApproximationMethod): boolean => USES_K.has(m);

/** The engine's options, as the CLI builds them from the same settings. */
export function surgeryOptions(c: SurgeryConfig): SurgeryOptions {
  return {
    method: c.method,
    k: c.k,
    cosineSimilarity: c.cosineSimilarity,
    weightScheme: c.weightScheme,
    subwordMethod: c.subwordMethod,
    batchSize: BATCH_SIZE,
    seed: c.seed,
    byteMatch: c.byteMatch,
    prefixMatch: c.prefixMatch,
    magikarp: c.magikarp,
    ...(c.newVocabNoise !== 0 && { newVocabNoise: c.newVocabNoise }),
    ...(c.newVocabScale !== 1 && { newVocabScale: c.newVocabScale }),
  };
}

/** The settings that give these options (surgeryOptions' inverse): a request's, shown again. */
export function surgeryConfig(model: string, donor: string, o: SurgeryOptions): SurgeryConfig {
  return {
    model,
    donor,
    method: o.method,
    k: o.k,
    cosineSimilarity: o.cosineSimilarity,
    weightScheme: o.weightScheme,
    subwordMethod: o.subwordMethod ?? 'mean',
    byteMatch: o.byteMatch,
    prefixMatch: o.prefixMatch,
    magikarp: o.magikarp === true,
    newVocabNoise: o.newVocabNoise ?? 0,
    newVocabScale: o.newVocabScale ?? 1,
    seed: o.seed,
  };
}

/** The models chosen in the model picker: the first as the model, the next as the donor. */
export function fromChosenModels(c: SurgeryConfig, ids: readonly string[]): SurgeryConfig {
  const [model, donor] = ids;
  return model !== undefined && donor !== undefined ? { ...c, model, donor } : c;
}

/** What is wrong before anything is read. The rest (tokenizer files, -k against the shared vocabulary) the preview says. */
export function surgeryProblems(c: SurgeryConfig): SurgeryProblem[] {
  const out: SurgeryProblem[] = [];
  if (c.model.trim() === '')
    out.push({ field: 'model', message: 'Name the model that gets the new tokenizer.' });
  if (c.donor.trim() === '') out.push({ field: 'donor', message: 'Name the donor: the model whose tokenizer it gets.' }); // prettier-ignore
  if (c.model.trim() !== '' && c.model.trim() === c.donor.trim())
    out.push({ field: 'donor', message: 'The donor is the model itself: its tokenizer is already the one it has.' }); // prettier-ignore
  if (!Number.isInteger(c.k) || c.k < 1)
    out.push({ field: 'k', message: 'k must be a whole number of at least 1.' });
  if (!Number.isFinite(c.newVocabNoise) || c.newVocabNoise < 0)
    out.push({ field: 'newVocabNoise', message: 'The noise must be a number of at least 0.' });
  if (!Number.isFinite(c.newVocabScale))
    out.push({ field: 'newVocabScale', message: 'The scale must be a number.' });
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed >= 2 ** 32)
    out.push({ field: 'seed', message: 'The seed must be a whole number from 0 to 4294967295.' });
  return out;
}

/** The models the run reads, each once: the model, then the donor. */
export function surgeryModelIds(c: SurgeryConfig): string[] {
  return [...new Set([c.model.trim(), c.donor.trim()].filter((id) => id !== ''))];
}

const lastPart = (id: string): string => (id.split('+')[0] ?? '').split('@')[0]!.split('/').at(-1)!.trim();

/** The output folder's name when the box is left empty: `model-with-donor-tokenizer`. */
export function defaultSurgeryOutputName(c: SurgeryConfig): string {
  const model = lastPart(c.model);
  const donor = lastPart(c.donor);
  const name = model === '' ? 'model-new-tokenizer' : donor === '' ? `${model}-new-tokenizer` : `${model}-with-${donor}-tokenizer`; // prettier-ignore
  return name.replace(/[\\/:*?"<>|]/g, '-');
}

/** The text's keys: the CLI's long option names. */
const KEYS: readonly SettingKey<SurgeryConfig>[] = [
  ['model', 'model', 'string'],
  ['donor', 'donor', 'string'],
  ['approximation-method', 'method', APPROXIMATION_METHODS],
  ['k', 'k', 'number'],
  ['cosine-similarity', 'cosineSimilarity', 'boolean'],
  ['weight-scheme', 'weightScheme', WEIGHT_SCHEMES],
  ['subword-method', 'subwordMethod', SUBWORD_METHODS],
  ['byte-match', 'byteMatch', ALLOW_MATCH],
  ['prefix-match', 'prefixMatch', ALLOW_MATCH],
  ['magikarp', 'magikarp', 'boolean'],
  ['new-vocab-noise', 'newVocabNoise', 'number'],
  ['new-vocab-scale', 'newVocabScale', 'number'],
  ['seed', 'seed', 'number'],
];

const codec = settingsCodec(KEYS, EMPTY_SURGERY, ['model', 'donor']);

/** The settings as text (links, Recent recipes): the models, and the options that are not the defaults. */
export const surgeryConfigToText = (c: SurgeryConfig): string => codec.toText(c);

/** Text from a link or Recent recipes back into settings, or why it cannot be. Never throws. */
export const parseSurgeryText = (text: string): { config: SurgeryConfig } | { problem: string } =>
  codec.parse(text);

/** A line for "Recent recipes". */
export function surgerySummary(c: SurgeryConfig): string {
  return `Tokenizer (${c.method}): ${c.model || 'no model'} ← ${c.donor || 'no donor'}`;
}
