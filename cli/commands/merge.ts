/**
 * `merge RECIPE.yml --out OUT [--models DIR] [--hub-url URL] [--token T]`: run a merge from
 * local folders or a hub (see ../resolve-models.ts for which) into a folder.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { folderSink } from '../../workers/io/node/fs-sink.ts';
import { runMerge } from '../../workers/engine/run-merge.ts';
import { formatProblem } from '../../workers/plan/problems.ts';
import { referencedModels } from '../../workers/plan/recipe.ts';
import { loadRecipe } from '../../workers/plan/recipe-yaml.ts';
import { parseSeed, parseSize, UsageError } from '../args.ts';
import { progressPrinter } from '../progress.ts';
import { hubSummary, MODEL_OPTIONS, resolveModels } from '../resolve-models.ts';

export async function mergeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...MODEL_OPTIONS,
      out: { type: 'string' },
      'shard-size': { type: 'string' },
      seed: { type: 'string' },
      name: { type: 'string' },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1 || !values.out) {
    throw new UsageError(
      'merge-studio merge RECIPE.yml --out OUT [--models DIR] [--hub-url URL] [--token TOKEN]',
    );
  }
  const text = await readFile(file, 'utf8');
  const { recipe, warnings } = loadRecipe(text, file);
  for (const w of warnings) process.stderr.write(`${formatProblem(w, file)}\n`);
  const seed = parseSeed(values.seed);
  const progress = progressPrinter(process.stderr);
  const log = (line: string): void => {
    progress.done();
    process.stderr.write(`${line}\n`);
  };
  const models = resolveModels(values, referencedModels(recipe), process.env, log);
  const result = await runMerge({
    recipe,
    recipeText: text,
    resolve: models.resolve,
    hubModels: models.hubModels,
    sink: folderSink(values.out),
    outputName: values.name ?? path.basename(path.resolve(values.out)),
    ...(values['shard-size'] !== undefined && { maxShardBytes: parseSize(values['shard-size']) }),
    ...(seed !== undefined && { seed }),
    onProgress: progress.update,
    onLog: log,
  });
  progress.done();
  const hub = hubSummary(models);
  if (hub) process.stderr.write(`${hub}\n`);
  process.stdout.write(
    `merged ${result.tensors} tensors (${result.layers} layers) into ${values.out} in ${(result.elapsedMs / 1000).toFixed(1)} s: ` +
      `${result.files.length} files, ${(result.bytesWritten / 1e6).toFixed(1)} MB written, ${(result.bytesRead / 1e6).toFixed(1)} MB read in ${result.readRequests} reads` +
      `${result.resumedShards ? `, ${result.resumedShards} shard(s) resumed` : ''}\n`,
  );
}
