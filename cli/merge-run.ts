/**
 * One merge of a recipe into a folder, as `merge` runs it and `multi` runs each of its stages:
 * the folder's lock, the models (local folders or a hub, see ./resolve-models.ts), the engine,
 * progress on stderr and the result line on stdout. The compute lanes are started once, on the
 * first merge that runs, and shared by the merges of one command.
 */
import { interruptSignal } from './interrupt.ts';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MERGE_READ_ADVICE } from '../workers/io/hub/errors.ts';
import { INDEX_FILE, SINGLE_FILE } from '../workers/io/load-model.ts';
import { lockFolder } from '../workers/io/node/folder-lock.ts';
import { folderSink } from '../workers/io/node/fs-sink.ts';
import { runMerge } from '../workers/engine/run-merge.ts';
import type { MergeProgress, MergeResult } from '../workers/protocol.ts';
import type { Recipe } from '../workers/plan/recipe.ts';
import { referencedModels } from '../workers/plan/recipe.ts';
import { defaultNodeLanes, startNodeLanes } from '../workers/runtime/node/compute-lanes.ts';
import { parseSeed, parseSize, UsageError } from './args.ts';
import { MERGEKIT_OPTIONS, mergekitSettings } from './mergekit-options.ts';
import { progressPrinter } from './progress.ts';
import { hubSummary, MODEL_OPTIONS, resolveModels, type ModelArgs } from './resolve-models.ts';

/** The parseArgs options of every command that merges: where models come from, and how to merge. */
export const MERGE_OPTIONS = {
  ...MODEL_OPTIONS,
  'shard-size': { type: 'string' },
  seed: { type: 'string' },
  lanes: { type: 'string' },
  ...MERGEKIT_OPTIONS,
} as const;

export interface MergeSettings {
  readonly models: ModelArgs;
  readonly shardSize: number | undefined;
  readonly seed: number | undefined;
  readonly laneCount: number;
  /** mergekit's --no-copy-tokenizer / --no-write-model-card / --quiet (./mergekit-options.ts). */
  readonly copyTokenizer: boolean;
  readonly writeModelCard: boolean;
  readonly quiet: boolean;
}

/** The merge options of a command line; mergekit's flags that change nothing get a note on stderr. */
export function mergeSettings(
  values: ModelArgs & {
    'shard-size'?: string | undefined;
    seed?: string | undefined;
    lanes?: string | undefined;
  } & Readonly<Record<string, string | boolean | readonly (string | boolean)[] | undefined>>,
): MergeSettings {
  const mk = mergekitSettings(values);
  for (const note of mk.notes) process.stderr.write(`${note}\n`);
  return {
    models: values,
    seed: parseSeed(mk.seed),
    shardSize: mk.shardSize === undefined ? undefined : parseSize(mk.shardSize),
    laneCount: values.lanes === undefined ? defaultNodeLanes() : parseLanes(values.lanes),
    copyTokenizer: mk.copyTokenizer,
    writeModelCard: mk.writeModelCard,
    quiet: mk.quiet,
  };
}

function parseLanes(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new UsageError(`--lanes takes a whole number from 0 to 64, not "${text}"`);
  return n;
}

/** Worker threads for the merges of one command, started when first asked for. */
export interface Lanes {
  get(): ReturnType<typeof startNodeLanes> | undefined;
  close(): Promise<void>;
}

export function lazyLanes(count: number): Lanes {
  let pool: ReturnType<typeof startNodeLanes> | undefined;
  return {
    get: () => (count > 0 ? (pool ??= startNodeLanes(count)) : undefined),
    close: async () => pool?.close(),
  };
}

/** What a command's settings, progress printer, log and lanes give the engine's job. */
export function engineOptions(
  settings: Omit<MergeSettings, 'models'>,
  progress: { update: (p: MergeProgress) => void },
  log: (line: string) => void,
  pool: ReturnType<Lanes['get']>,
) {
  return {
    ...(settings.shardSize !== undefined && { maxShardBytes: settings.shardSize }),
    ...(settings.seed !== undefined && { seed: settings.seed }),
    onProgress: progress.update,
    onLog: log,
    signal: interruptSignal(),
    ...(pool && { lanes: { lanes: pool.lanes, needShared: true } }),
    ...(!settings.copyTokenizer && { copyTokenizer: false }),
    ...(!settings.writeModelCard && { writeModelCard: false }),
  };
}

/** --quiet: no progress bar or lines. */
export const QUIET = { update: () => undefined, done: () => undefined };

export interface FolderMerge {
  readonly recipe: Recipe;
  /** Saved as the output's mergekit_config.yml. */
  readonly recipeText: string;
  readonly out: string;
  /** Title of the model card. */
  readonly outputName: string;
  /** Keep a folder that already holds a finished model (multi's --lazy) instead of merging. */
  readonly keepFinished?: boolean;
}

/** Merges into `job.out`; 'kept' when keepFinished found a finished model there. */
export async function mergeIntoFolder(
  job: FolderMerge,
  settings: MergeSettings,
  lanes: Lanes,
): Promise<'merged' | 'kept'> {
  const progress = settings.quiet ? QUIET : progressPrinter(process.stderr);
  const log = (line: string): void => {
    progress.done();
    process.stderr.write(`${line}\n`);
  };
  const models = resolveModels(settings.models, referencedModels(job.recipe), {
    onLog: log,
    readAdvice: MERGE_READ_ADVICE,
  });
  // Another merge into the same folder stops here; the lock goes when this one ends, either way.
  // The check for a finished model is made under the lock, so that it never sees one half gone.
  const lock = await lockFolder(job.out, log);
  let result: MergeResult;
  try {
    if (job.keepFinished && (await hasFinishedModel(job.out))) {
      const written = await readFile(path.join(job.out, 'mergekit_config.yml'), 'utf8').catch(
        () => undefined,
      );
      const differs = written !== undefined && written !== job.recipeText;
      process.stdout.write(
        `skipped: ${job.out} already holds a merged model (config.json and its weights)${
          differs ? ', made from another recipe than this one' : ''
        }; --no-lazy merges it again\n`,
      );
      return 'kept';
    }
    const pool = lanes.get();
    result = await runMerge({
      recipe: job.recipe,
      recipeText: job.recipeText,
      resolve: models.resolve,
      hubModels: models.hubModels,
      sink: folderSink(job.out),
      outputName: job.outputName,
      ...engineOptions(settings, progress, log, pool),
    });
  } finally {
    await lock.release();
  }
  progress.done();
  const hub = hubSummary(models);
  if (hub) process.stderr.write(`${hub}\n`);
  process.stdout.write(
    `merged ${result.tensors} tensors (${result.layers} layers) into ${job.out} in ${(result.elapsedMs / 1000).toFixed(1)} s: ` +
      `${result.files.length} files, ${(result.bytesWritten / 1e6).toFixed(1)} MB written, ${(result.bytesRead / 1e6).toFixed(1)} MB read in ${result.readRequests} reads` +
      `${result.resumedShards ? `, ${result.resumedShards} shard(s) resumed` : ''}\n`,
  );
  return 'merged';
}

/**
 * Whether `dir` holds a finished model. A merge removes config.json first and writes it last
 * (workers/engine/output-folder.ts), so config.json beside the weights (the single file, or
 * the index and every shard it names) marks one that finished; mergekit-multi's test is
 * config.json and any weights file.
 */
export async function hasFinishedModel(dir: string): Promise<boolean> {
  const exists = (f: string) =>
    access(path.join(dir, f)).then(
      () => true,
      () => false,
    );
  if (!(await exists('config.json'))) return false;
  if (await exists(SINGLE_FILE)) return true;
  const index = await readFile(path.join(dir, INDEX_FILE), 'utf8').catch(() => undefined);
  if (index === undefined) return false;
  try {
    const map = (JSON.parse(index) as { weight_map?: Record<string, unknown> }).weight_map ?? {};
    const shards = new Set(Object.values(map).filter((v): v is string => typeof v === 'string'));
    return shards.size > 0 && (await Promise.all([...shards].map(exists))).every(Boolean);
  } catch {
    return false;
  }
}
