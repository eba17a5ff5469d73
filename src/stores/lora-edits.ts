/**
 * Pure edits of the Extract LoRA form (the slice, ./lora-slice.ts, only stores their results):
 * the two models and the CLI's options (workers/lora-extract), what is wrong with them before
 * anything is read, and the settings as text for the page's link and "Recent recipes".
 *
 * The text is JSON whose keys are `merge-studio extract-lora`'s long options (`max-rank`,
 * `include-regex`, ...), with the defaults left out (./settings-text.ts).
 */
import { compilePattern } from '../../workers/lora-extract/plan-extraction.ts';
import type { LoraExtractOptions } from '../../workers/runtime/requests.ts';
import { settingsCodec, type SettingKey } from './settings-text.ts';

export interface LoraConfig extends LoraExtractOptions {
  /** The fine-tuned model (a hub id, an opened folder's name, `base+adapter`). */
  readonly model: string;
  /** The model it was fine-tuned from. */
  readonly base: string;
}

/** The CLI's defaults (mergekit-extract-lora's). */
export const EMPTY_LORA: LoraConfig = {
  model: '',
  base: '',
  maxRank: 128,
  svEpsilon: 0,
  distributeScale: true,
  embedLora: false,
  skipUndecomposable: false,
  loraBias: false,
  saveModules: [],
  includeRegexes: [],
  excludeRegexes: [],
};

export type LoraField = keyof LoraConfig;

/** A problem the form shows at its field; Extract waits while there is one. */
export interface LoraProblem {
  readonly field: LoraField;
  readonly message: string;
}

/** The options part of the config, as a request sends it. */
export function loraOptions(c: LoraConfig): LoraExtractOptions {
  const { model: _m, base: _b, ...options } = c;
  return options;
}

/**
 * The models chosen in the model picker as the extraction's: `base` (the picker's base, else
 * the first) is the base, the first other one the fine-tuned model (the current one when it
 * is still chosen).
 */
export function fromChosenModels(c: LoraConfig, ids: readonly string[], base?: string): LoraConfig {
  const b = base ?? ids[0] ?? c.base;
  const others = ids.filter((id) => id !== b);
  const model = others.includes(c.model) ? c.model : (others[0] ?? c.model);
  return { ...c, base: b, model };
}

/** A list field's text (one entry a line) as its entries: blank lines are not entries. */
export function linesToList(text: string, trim = false): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => (trim ? l.trim() : l))
    .filter((l) => l.trim() !== '');
}

const PATTERN_FIELDS = [
  ['includeRegexes', 'Include pattern'],
  ['excludeRegexes', 'Exclude pattern'],
] as const;

/**
 * What is wrong before anything is read: a model missing or the same as the base, a rank or
 * epsilon out of range, a pattern that is no regular expression (JavaScript's syntax, as the
 * CLI compiles it). The rest (a module --save-module names, shapes) needs the headers: the
 * preview says it.
 */
export function loraProblems(c: LoraConfig): LoraProblem[] {
  const out: LoraProblem[] = [];
  if (c.model.trim() === '') out.push({ field: 'model', message: 'Name the fine-tuned model.' });
  if (c.base.trim() === '') out.push({ field: 'base', message: 'Name the base model.' });
  if (c.model.trim() !== '' && c.model.trim() === c.base.trim())
    out.push({ field: 'base', message: 'The base is the fine-tuned model itself: there is no difference to extract.' }); // prettier-ignore
  if (!Number.isInteger(c.maxRank) || c.maxRank < 1)
    out.push({ field: 'maxRank', message: 'The max rank must be a whole number of at least 1.' });
  if (!Number.isFinite(c.svEpsilon) || c.svEpsilon < 0)
    out.push({ field: 'svEpsilon', message: 'The epsilon must be a number of at least 0.' });
  for (const [field, label] of PATTERN_FIELDS) {
    c[field].forEach((source, i) => {
      const compiled = compilePattern(source);
      if ('problem' in compiled)
        out.push({ field, message: `${label} ${i + 1}, ${source}, is not a regular expression: ${compiled.problem}` }); // prettier-ignore
    });
  }
  return out;
}

/** The models the extraction reads, each once: the fine-tuned model, then the base. */
export function loraModelIds(c: LoraConfig): string[] {
  return [...new Set([c.model.trim(), c.base.trim()].filter((id) => id !== ''))];
}

/** The output folder's name when the box is left empty: the fine-tuned model's name, `-lora`. */
export function defaultLoraOutputName(c: LoraConfig): string {
  const name = (c.model.split('+')[0] ?? '').split('@')[0]!.split('/').at(-1)!.trim();
  return name === '' ? 'lora-adapter' : `${name.replace(/[\\/:*?"<>|]/g, '-')}-lora`;
}

/** The text's keys: the CLI's long option names. */
const KEYS: readonly SettingKey<LoraConfig>[] = [
  ['model', 'model', 'string'],
  ['base', 'base', 'string'],
  ['max-rank', 'maxRank', 'number'],
  ['sv-epsilon', 'svEpsilon', 'number'],
  ['distribute-scale', 'distributeScale', 'boolean'],
  ['embed-lora', 'embedLora', 'boolean'],
  ['save-module', 'saveModules', 'list'],
  ['exclude-regex', 'excludeRegexes', 'list'],
  ['include-regex', 'includeRegexes', 'list'],
  ['skip-undecomposable', 'skipUndecomposable', 'boolean'],
  ['lora-bias', 'loraBias', 'boolean'],
];

const codec = settingsCodec(KEYS, EMPTY_LORA, ['model', 'base']);

/** The settings as text (links, Recent recipes): the models, and the options that are not the defaults. */
export const loraConfigToText = (c: LoraConfig): string => codec.toText(c);

/** Text from a link or Recent recipes back into settings, or why it cannot be. Never throws. */
export const parseLoraText = (text: string): { config: LoraConfig } | { problem: string } =>
  codec.parse(text);

/** A line for "Recent recipes". */
export function loraSummary(c: LoraConfig): string {
  return `LoRA (max rank ${c.maxRank}): ${c.model || 'no model'} − ${c.base || 'no base'}`;
}
