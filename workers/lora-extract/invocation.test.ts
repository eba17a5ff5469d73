/**
 * The command line a model card shows for a studio extraction: every option away from its
 * default in the CLI's spelling, values that start with '-' joined with '=' (so the CLI's
 * parser does not take them for options), quoted as a shell reads them back, never a token.
 */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { extractArgs, invocationOf } from './invocation.ts';
import { DEFAULTS } from './test-helpers.ts';

describe('extractArgs', () => {
  it('the defaults: models, output and rank only; the hub when given', () => {
    expect(extractArgs({ model: 'org/ft', base: 'org/base', out: 'ft-lora', options: DEFAULTS })).toEqual([
      '--model', 'org/ft', '--base', 'org/base', '--out', 'ft-lora', '--max-rank', '128',
    ]); // prettier-ignore
    expect(extractArgs({ model: 'a', base: 'b', out: 'c', options: DEFAULTS, hubUrl: 'http://h:1' }).slice(-2)).toEqual(['--hub-url', 'http://h:1']); // prettier-ignore
  });

  it('every option, read back by a parser with the CLI’s option kinds', () => {
    const options = {
      maxRank: 8,
      svEpsilon: 1e-7,
      distributeScale: false,
      embedLora: true,
      skipUndecomposable: true,
      loraBias: true,
      saveModules: ['lm_head', 'model.norm'],
      includeRegexes: ['-leading', "it's"],
      excludeRegexes: ['layers\\.0\\.'],
    };
    const args = extractArgs({ model: 'ft', base: 'base', out: 'o', options });
    const { values } = parseArgs({
      args,
      options: {
        model: { type: 'string' },
        base: { type: 'string' },
        out: { type: 'string' },
        'max-rank': { type: 'string' },
        'sv-epsilon': { type: 'string' },
        'no-distribute-scale': { type: 'boolean' },
        'embed-lora': { type: 'boolean' },
        'save-module': { type: 'string', multiple: true },
        'exclude-regex': { type: 'string', short: 'e', multiple: true },
        'include-regex': { type: 'string', short: 'i', multiple: true },
        'skip-undecomposable': { type: 'boolean' },
        'lora-bias': { type: 'boolean' },
      },
    });
    expect(values).toEqual({
      model: 'ft',
      base: 'base',
      out: 'o',
      'max-rank': '8',
      'sv-epsilon': '1e-7',
      'no-distribute-scale': true,
      'embed-lora': true,
      'save-module': ['lm_head', 'model.norm'],
      'exclude-regex': ['layers\\.0\\.'],
      'include-regex': ['-leading', "it's"],
      'skip-undecomposable': true,
      'lora-bias': true,
    });
    expect(invocationOf(args)).toBe(
      "merge-studio extract-lora --model ft --base base --out o --max-rank 8 --sv-epsilon 1e-7 --no-distribute-scale --embed-lora --save-module lm_head --save-module model.norm --exclude-regex 'layers\\.0\\.' --include-regex=-leading --include-regex 'it'\\''s' --skip-undecomposable --lora-bias",
    );
  });
});
