/**
 * `layershuffle OUT --model A --model B [--weight W ...] [--full-random] [--fp16] [--seed N]
 * [--print-yaml] [--write-yaml FILE] [--dry-run]`: mergekit-layershuffle, a passthrough stack
 * of layers drawn at random from the models (workers/generators/layershuffle.ts). The layer
 * counts come from each model's config.json, read like a recipe's models (--models,
 * --hub-url, --token). Without --seed a seed is drawn and printed, so a stack worth keeping
 * can be made again (its recipe is also saved in OUT/mergekit_config.yml).
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { layerShuffleRecipe, type ShuffleModel } from '../../workers/generators/layershuffle.ts';
import { SourceError } from '../../workers/io/source.ts';
import { layerCountFromConfig } from '../../workers/plan/architecture.ts';
import { parseNumbers, UsageError } from '../args.ts';
import { runGeneratedMerge } from '../generated-merge.ts';
import { MERGE_OPTIONS, mergeSettings } from '../merge-run.ts';
import { resolveModels } from '../resolve-models.ts';

const USAGE =
  'merge-studio layershuffle OUT --model A --model B [--weight W ...] [--full-random] [--seed N] [options]';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function layerCounts(
  ids: readonly string[],
  settings: ReturnType<typeof mergeSettings>,
  quietNotes: boolean,
): Promise<ShuffleModel[]> {
  // The merge that follows resolves the models again and prints their notes then.
  const { resolve } = resolveModels(settings.models, ids, quietNotes ? {} : { onLog: log });
  return Promise.all(
    ids.map(async (id) => {
      const source = await resolve(id);
      const bytes = await source.readFile('config.json', undefined, 4 << 20);
      if (!bytes)
        throw new SourceError(`${id} has no config.json: its layer count is needed to shuffle layers`);
      let config: unknown;
      try {
        config = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new SourceError(`${id}: config.json is not JSON`);
      }
      const layers = layerCountFromConfig((config ?? {}) as Record<string, unknown>);
      if (layers === undefined)
        throw new SourceError(`${id}: config.json gives no layer count (num_hidden_layers)`);
      return { id, layers };
    }),
  );
}

export async function layershuffleCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...MERGE_OPTIONS,
      model: { type: 'string', short: 'm', multiple: true },
      weight: { type: 'string', short: 'w', multiple: true },
      'full-random': { type: 'boolean' },
      'no-full-random': { type: 'boolean' },
      fp16: { type: 'boolean' },
      'no-fp16': { type: 'boolean' },
      'print-yaml': { type: 'boolean' },
      'no-print-yaml': { type: 'boolean' },
      'write-yaml': { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  const [out, ...extra] = positionals;
  if (!out || extra.length > 0 || !values.model?.length) throw new UsageError(USAGE);
  const settings = mergeSettings(values);
  const weights = parseNumbers('weight', values.weight);
  // The draw's seed: --seed (or --random-seed), which also seeds random methods; else a new one.
  const seed = settings.seed ?? randomInt(2 ** 32);
  if (settings.seed === undefined)
    process.stderr.write(`layershuffle: seed ${seed} (--seed ${seed} draws this stack again)\n`);
  const recipe = layerShuffleRecipe({
    models: await layerCounts(values.model, settings, values['dry-run'] !== true),
    weights,
    seed,
    fullRandom: values['full-random'] === true,
    fp16: values.fp16 === true,
  });
  await runGeneratedMerge({
    recipe,
    out,
    settings,
    printYaml: values['print-yaml'],
    writeYaml: values['write-yaml'],
    dryRun: values['dry-run'],
  });
}
