/**
 * `legacy OUT --merge M [--merge M ...] [--density D ...] [--weight W ...] [--method ties]
 * [--base-model B] [--no-normalize] [--int8-mask] [--bf16] [--naive-count] [--print-yaml]`:
 * mergekit-legacy, the first scripts' command line, as a recipe (workers/generators/legacy.ts)
 * merged like any other. Takes merge's options (--models, --hub-url, --shard-size, ...).
 */
import { parseArgs } from 'node:util';
import { legacyRecipe } from '../../workers/generators/legacy.ts';
import { flagPair, parseNumbers, UsageError } from '../args.ts';
import { runGeneratedMerge } from '../generated-merge.ts';
import { MERGE_OPTIONS, mergeSettings } from '../merge-run.ts';

const USAGE =
  'merge-studio legacy OUT --merge MODEL [--merge MODEL ...] [--base-model B] [--method ties] [options]';

export async function legacyCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...MERGE_OPTIONS,
      merge: { type: 'string', multiple: true },
      density: { type: 'string', multiple: true },
      weight: { type: 'string', multiple: true },
      method: { type: 'string' },
      'base-model': { type: 'string' },
      normalize: { type: 'boolean' },
      'no-normalize': { type: 'boolean' },
      'int8-mask': { type: 'boolean' },
      'no-int8-mask': { type: 'boolean' },
      bf16: { type: 'boolean' },
      'no-bf16': { type: 'boolean' },
      'naive-count': { type: 'boolean' },
      'no-naive-count': { type: 'boolean' },
      'print-yaml': { type: 'boolean' },
      'no-print-yaml': { type: 'boolean' },
    },
  });
  const [out, ...extra] = positionals;
  if (!out || extra.length > 0) throw new UsageError(USAGE);
  const normalize = flagPair(values, 'normalize');
  const recipe = legacyRecipe({
    merge: values.merge ?? [],
    density: parseNumbers('density', values.density),
    weight: parseNumbers('weight', values.weight),
    ...(values.method !== undefined && { method: values.method }),
    baseModel: values['base-model'],
    ...(normalize !== undefined && { normalize }),
    int8Mask: flagPair(values, 'int8-mask') ?? false,
    bf16: flagPair(values, 'bf16') ?? false,
    naiveCount: flagPair(values, 'naive-count') ?? false,
  });
  await runGeneratedMerge({
    recipe,
    out,
    settings: mergeSettings(values),
    printYaml: flagPair(values, 'print-yaml'),
  });
}
