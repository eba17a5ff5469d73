/**
 * `merge RECIPE.yml --out OUT [--models DIR] [--hub-url URL] [--token T] [--lanes N]`: run a
 * merge from local folders or a hub (see ../resolve-models.ts for which) into a folder.
 * `--lanes N`: worker threads that merge large tensors in parts (default: one per core, at
 * most 8; 0 merges on the main thread alone). Same bytes either way.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MERGE_READ_ADVICE } from '../../workers/io/hub/errors.ts';
import { lockFolder } from '../../workers/io/node/folder-lock.ts';
import { folderSink } from '../../workers/io/node/fs-sink.ts';
import { runMerge } from '../../workers/engine/run-merge.ts';
import type { MergeResult } from '../../workers/protocol.ts';
import { formatProblem } from '../../workers/plan/problems.ts';
import { referencedModels } from '../../workers/plan/recipe.ts';
import { loadRecipe } from '../../workers/plan/recipe-yaml.ts';
import { parseSeed, parseSize, UsageError } from '../args.ts';
import { progressPrinter } from '../progress.ts';
import { hubSummary, MODEL_OPTIONS, resolveModels } from '../resolve-models.ts';
import { defaultNodeLanes, startNodeLanes } from '../../workers/runtime/node/compute-lanes.ts';

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
      lanes: { type: 'string' },
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
  const models = resolveModels(values, referencedModels(recipe), {
    onLog: log,
    readAdvice: MERGE_READ_ADVICE,
  });
  const laneCount = values.lanes === undefined ? defaultNodeLanes() : parseLanes(values.lanes);
  const shardSize = values['shard-size'] === undefined ? undefined : parseSize(values['shard-size']);
  // Another merge into the same folder stops here; the lock goes when this one ends, either way.
  const lock = await lockFolder(values.out, log);
  let pool: ReturnType<typeof startNodeLanes> | undefined;
  let result: MergeResult;
  try {
    pool = laneCount > 0 ? startNodeLanes(laneCount) : undefined;
    result = await runMerge({
      recipe,
      recipeText: text,
      resolve: models.resolve,
      hubModels: models.hubModels,
      sink: folderSink(values.out),
      outputName: values.name ?? path.basename(path.resolve(values.out)),
      ...(shardSize !== undefined && { maxShardBytes: shardSize }),
      ...(seed !== undefined && { seed }),
      onProgress: progress.update,
      onLog: log,
      ...(pool && { lanes: { lanes: pool.lanes, needShared: true } }),
    });
  } finally {
    await pool?.close();
    await lock.release();
  }
  progress.done();
  const hub = hubSummary(models);
  if (hub) process.stderr.write(`${hub}\n`);
  process.stdout.write(
    `merged ${result.tensors} tensors (${result.layers} layers) into ${values.out} in ${(result.elapsedMs / 1000).toFixed(1)} s: ` +
      `${result.files.length} files, ${(result.bytesWritten / 1e6).toFixed(1)} MB written, ${(result.bytesRead / 1e6).toFixed(1)} MB read in ${result.readRequests} reads` +
      `${result.resumedShards ? `, ${result.resumedShards} shard(s) resumed` : ''}\n`,
  );
}

function parseLanes(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new UsageError(`--lanes takes a whole number from 0 to 64, not "${text}"`);
  return n;
}
