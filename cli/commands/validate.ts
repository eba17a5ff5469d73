/**
 * `validate RECIPE.yml [--models DIR] [--hub-url URL] [--token T]`: the recipe's structure;
 * with models (local folders or a hub), the compatibility report and the full plan, reading
 * only config.json and the safetensors headers.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadModels } from '../../workers/engine/run-merge.ts';
import { ArchitectureError } from '../../workers/plan/architecture.ts';
import { buildPlan } from '../../workers/plan/build-plan.ts';
import { compatibilityForRecipe, formatCompatibilityReport } from '../../workers/plan/compatibility.ts';
import { formatProblem } from '../../workers/plan/problems.ts';
import { referencedModels } from '../../workers/plan/recipe.ts';
import { loadRecipe } from '../../workers/plan/recipe-yaml.ts';
import { UsageError } from '../args.ts';
import { hubSummary, MODEL_OPTIONS, resolveModels } from '../resolve-models.ts';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

export async function validateCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: MODEL_OPTIONS });
  const file = positionals[0];
  if (!file || positionals.length > 1)
    throw new UsageError('merge-studio validate RECIPE.yml [--models DIR] [--hub-url URL] [--token TOKEN]');
  const { recipe, warnings } = loadRecipe(await readFile(file, 'utf8'), file);
  for (const w of warnings) process.stderr.write(`${formatProblem(w, file)}\n`);
  if (values.models === undefined && values['hub-url'] === undefined) {
    process.stdout.write(`${file}: valid ${recipe.merge_method} recipe\n`);
    return;
  }
  const source = resolveModels(values, referencedModels(recipe), { onLog: log });
  const models = await loadModels(recipe, source.resolve);
  const report = compatibilityForRecipe(recipe, models);
  process.stdout.write(formatCompatibilityReport(report));
  const hub = hubSummary(source);
  if (hub) process.stderr.write(`${hub}\n`);
  if (report.errors > 0) {
    throw new ArchitectureError(`these models cannot be merged: ${report.errors} error(s), listed above`);
  }
  const plan = buildPlan(recipe, models);
  for (const w of plan.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(
    `${file}: valid; with these models it writes ${plan.tensors.length} tensors in ${plan.numLayers} layers\n`,
  );
}
