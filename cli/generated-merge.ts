/**
 * The end of mergekit's recipe-making scripts (legacy, layershuffle, bakllama): the recipe
 * they built is checked like any recipe file, optionally printed or saved (mergekit's
 * --print-yaml / --write-yaml), and merged into the folder by the same run as `merge`, so the
 * output holds it as mergekit_config.yml and `merge` can run it again.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatProblem } from '../workers/plan/problems.ts';
import type { Recipe } from '../workers/plan/recipe.ts';
import { loadRecipe, recipeToYaml } from '../workers/plan/recipe-yaml.ts';
import { lazyLanes, mergeIntoFolder, type MergeSettings } from './merge-run.ts';

export interface GeneratedMerge {
  readonly recipe: Recipe;
  readonly out: string;
  readonly settings: MergeSettings;
  readonly printYaml?: boolean | undefined;
  readonly writeYaml?: string | undefined;
  readonly dryRun?: boolean | undefined;
}

export async function runGeneratedMerge(job: GeneratedMerge): Promise<void> {
  const text = recipeToYaml(job.recipe);
  // Read back as a recipe file is: the same checks, and what `merge` would run from it.
  const { recipe, warnings } = loadRecipe(text, 'the generated recipe');
  for (const w of warnings) process.stderr.write(`${formatProblem(w, 'the generated recipe')}\n`);
  if (job.printYaml) process.stdout.write(text);
  if (job.writeYaml !== undefined) await writeFile(job.writeYaml, text);
  if (job.dryRun) return;
  const lanes = lazyLanes(job.settings.laneCount);
  try {
    const outputName = path.basename(path.resolve(job.out));
    await mergeIntoFolder({ recipe, recipeText: text, out: job.out, outputName }, job.settings, lanes);
  } finally {
    await lanes.close();
  }
}
