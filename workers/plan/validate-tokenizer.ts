/**
 * `tokenizer_source:` and `tokenizer:`. Only the base's tokenizer is supported, and only for
 * models that share it (checked by the planner, tokenizer-plan.ts, once tokenizers are read);
 * a union, another model's tokenizer, per-token embedding sources and padding are refused.
 */
import type { TokenizerConfig } from './recipe.ts';
import { checkKeys, isObj, isSet, type Report } from './validate-common.ts';

const ONLY_BASE = 'Merge Studio only supports base (and only for models that share the base’s tokenizer)';
const REMOVE = 'remove it to copy the base model’s tokenizer files and merge embedding rows by id';

function sourceProblem(raw: unknown, key: string): string | undefined {
  if (raw === 'base') return undefined;
  const what =
    raw === 'union'
      ? 'union (a tokenizer with every model’s tokens)'
      : typeof raw === 'string'
        ? `${raw} (that model’s tokenizer)`
        : JSON.stringify(raw);
  return `${key}: ${what} is not supported yet: ${ONLY_BASE}; write base, or ${REMOVE}`;
}

export interface TokenizerChoice {
  readonly tokenizer_source?: 'base';
  readonly tokenizer?: TokenizerConfig;
}

export function checkTokenizer(raw: Record<string, unknown>, report: Report): TokenizerChoice {
  const source = raw['tokenizer_source'];
  const block = raw['tokenizer'];
  if (isSet(source) && isSet(block)) {
    report(
      ['tokenizer'],
      'give tokenizer_source or tokenizer, not both (mergekit stops with "Cannot specify both tokenizer_source and tokenizer")',
    );
    return {};
  }
  if (isSet(source)) {
    const problem = sourceProblem(source, 'tokenizer_source');
    if (problem) report(['tokenizer_source'], problem);
    return problem ? {} : { tokenizer_source: 'base' };
  }
  if (!isSet(block)) return {};
  if (!isObj(block)) {
    report(['tokenizer'], 'tokenizer must be a mapping {source, tokens, pad_to_multiple_of}');
    return {};
  }
  const path = ['tokenizer'];
  checkKeys(block, path, ['source', 'tokens', 'pad_to_multiple_of'], report);
  let ok = true;
  if (!isSet(block['source'])) {
    ok = false;
    report(
      path,
      `tokenizer.source is missing, and mergekit then builds a union of every model’s tokens, which is not supported yet: write source: base, or ${REMOVE}`,
    );
  } else {
    const problem = sourceProblem(block['source'], 'tokenizer.source');
    if (problem) report([...path, 'source'], problem);
    ok = problem === undefined;
  }
  if (isSet(block['tokens'])) {
    ok = false;
    report(
      [...path, 'tokens'],
      'tokenizer.tokens (per-token embedding sources) is not supported yet; remove it',
    );
  }
  if (isSet(block['pad_to_multiple_of'])) {
    ok = false;
    report(
      [...path, 'pad_to_multiple_of'],
      'tokenizer.pad_to_multiple_of is not supported yet (mergekit pads the embeddings with their mean row); remove it',
    );
  }
  return ok ? { tokenizer: { source: 'base' } } : {};
}
