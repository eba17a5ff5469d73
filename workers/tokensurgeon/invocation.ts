/**
 * The command line that runs the same tokensurgeon as the studio did (shown with its result):
 * `merge-studio tokensurgeon MODEL DONOR OUT` with the options that differ from the defaults,
 * spelled as mergekit-tokensurgeon spells them, and the hub when it is not huggingface.co.
 * Never a token. The batch size changes nothing in the result, so it is left out.
 */
import { shellQuote } from '../lora-extract/invocation.ts';
import { interpolates, USES_K } from './approximate.ts';
import type { SurgeryOptions } from './run-tokensurgeon.ts';

export interface SurgeryCommand {
  readonly model: string;
  readonly donor: string;
  readonly out: string;
  readonly options: SurgeryOptions;
  readonly hubUrl?: string | undefined;
}

/** A value that starts with '-' is joined with '=' (the parser would take it for an option). */
const valued = (name: string, value: string): string[] =>
  value.startsWith('-') ? [`${name}=${value}`] : [name, value];

/** The CLI's arguments (after `merge-studio tokensurgeon`). */
export function surgeryArgs(c: SurgeryCommand): string[] {
  const o = c.options;
  return [
    ...[c.model, c.donor, c.out].map((a) => (a.startsWith('-') ? `./${a}` : a)),
    ...(o.method !== 'omp' ? ['--approximation-method', o.method] : []),
    ...(USES_K.has(o.method) && o.k !== 64 ? ['-k', String(o.k)] : []),
    ...(interpolates(o.method) && o.cosineSimilarity ? ['--cosine-similarity'] : []),
    ...(o.method === 'common_interpolation' && o.weightScheme !== 'distance_proportional'
      ? ['--weight-scheme', o.weightScheme]
      : []),
    ...(o.method === 'subword' && (o.subwordMethod ?? 'mean') !== 'mean'
      ? ['--subword-method', o.subwordMethod!]
      : []),
    ...(o.prefixMatch !== 'no' ? ['--prefix-match', o.prefixMatch] : []),
    ...(o.byteMatch !== 'no' ? ['--byte-match', o.byteMatch] : []),
    ...(o.magikarp ? ['--magikarp'] : []),
    ...(o.newVocabNoise !== undefined ? valued('--new-vocab-noise', String(o.newVocabNoise)) : []),
    ...(o.newVocabScale !== undefined ? valued('--new-vocab-scale', String(o.newVocabScale)) : []),
    ...(o.seed !== 0 ? valued('--seed', String(o.seed)) : []),
    ...(c.hubUrl !== undefined ? valued('--hub-url', c.hubUrl) : []),
  ];
}

export function surgeryInvocation(c: SurgeryCommand): string {
  return ['merge-studio', 'tokensurgeon', ...surgeryArgs(c)].map(shellQuote).join(' ');
}
