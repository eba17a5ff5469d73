/**
 * `merge RECIPE.yml --out OUT [--models DIR] [--hub-url URL] [--token T] [--lanes N]`: run a
 * merge from local folders or a hub (see ../resolve-models.ts for which) into a folder.
 * `--lanes N`: worker threads that merge large tensors in parts (default: one per core, at
 * most 8; 0 merges on the main thread alone). Same bytes either way. The run itself is
 * ../merge-run.ts, which `multi` runs for each of its stages.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem } from '../../workers/plan/problems.ts';
import { loadRecipe } from '../../workers/plan/recipe-yaml.ts';
import { UsageError } from '../args.ts';
import { lazyLanes, MERGE_OPTIONS, mergeIntoFolder, mergeSettings } from '../merge-run.ts';

export async function mergeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...MERGE_OPTIONS, out: { type: 'string' }, name: { type: 'string' } },
  });
  // mergekit-yaml's form, `merge RECIPE.yml OUT`, is taken too.
  const [file, positionalOut, ...extra] = positionals;
  const out = values.out ?? positionalOut;
  if (!file || !out || extra.length > 0 || (values.out !== undefined && positionalOut !== undefined)) {
    throw new UsageError(
      'merge-studio merge RECIPE.yml --out OUT [--models DIR] [--hub-url URL] [--token TOKEN] (or RECIPE.yml OUT, as mergekit-yaml)',
    );
  }
  const settings = mergeSettings(values);
  const text = await readFile(file, 'utf8');
  const { recipe, warnings } = loadRecipe(text, file);
  for (const w of warnings) process.stderr.write(`${formatProblem(w, file)}\n`);
  const lanes = lazyLanes(settings.laneCount);
  try {
    const outputName = values.name ?? path.basename(path.resolve(out));
    await mergeIntoFolder({ recipe, recipeText: text, out, outputName }, settings, lanes);
  } finally {
    await lanes.close();
  }
}
