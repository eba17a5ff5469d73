/** `validate RECIPE.yml [--models DIR]`: the recipe's structure, and with models the full plan. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { folderResolver } from '../../workers/io/node/fs-source.ts';
import { loadModels } from '../../workers/engine/run-merge.ts';
import { buildPlan } from '../../workers/plan/build-plan.ts';
import { formatProblem } from '../../workers/plan/problems.ts';
import { loadRecipe } from '../../workers/plan/recipe-yaml.ts';
import { UsageError } from '../args.ts';

export async function validateCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { models: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1)
    throw new UsageError('merge-studio validate RECIPE.yml [--models DIR]');
  const { recipe, warnings } = loadRecipe(await readFile(file, 'utf8'), file);
  for (const w of warnings) process.stderr.write(`${formatProblem(w, file)}\n`);
  if (!values.models) {
    process.stdout.write(`${file}: valid ${recipe.merge_method} recipe\n`);
    return;
  }
  const models = await loadModels(recipe, folderResolver(values.models));
  const plan = buildPlan(recipe, models);
  for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(
    `${file}: valid; with these models it writes ${plan.tensors.length} tensors in ${plan.numLayers} layers\n`,
  );
}
