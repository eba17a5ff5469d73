/**
 * `moe CONFIG.yml --out OUT [--models DIR] [--hub-url URL] [--token T] [--shard-size S]
 * [--seed N] [--name NAME] [--i-understand-this-is-not-useful-without-training]`: mergekit-moe,
 * a Mixtral, DeepSeek, Qwen2 or Qwen3 mixture of experts from a base and expert models
 * (workers/moe). Models are found as
 * for `merge` (../resolve-models.ts); the output folder is locked, written and resumed as a
 * merge's is.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { interruptSignal } from '../interrupt.ts';
import { MERGE_READ_ADVICE } from '../../workers/io/hub/errors.ts';
import { lockFolder } from '../../workers/io/node/folder-lock.ts';
import { folderSink } from '../../workers/io/node/fs-sink.ts';
import { SourceError } from '../../workers/io/source.ts';
import { inputIds } from '../../workers/moe/arch/common.ts';
import { buildMoe, type MoeResult } from '../../workers/moe/build-moe.ts';
import { ALLOW_ALL_SAME_OPTION } from '../../workers/moe/moe-rules.ts';
import { loadMoeConfig } from '../../workers/moe/moe-yaml.ts';
import { formatProblem } from '../../workers/plan/problems.ts';
import { parseSeed, parseSize, UsageError } from '../args.ts';
import { QUIET } from '../merge-run.ts';
import { MERGEKIT_OPTIONS, mergekitSettings } from '../mergekit-options.ts';
import { progressPrinter } from '../progress.ts';
import { hubSummary, MODEL_OPTIONS, resolveModels } from '../resolve-models.ts';

const USAGE =
  'merge-studio moe CONFIG.yml --out OUT [--models DIR] [--hub-url URL] [--token TOKEN] [--shard-size SIZE] [--seed N] (or CONFIG.yml OUT, as mergekit-moe)';

export async function moeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...MODEL_OPTIONS,
      out: { type: 'string' },
      'shard-size': { type: 'string' },
      seed: { type: 'string' },
      name: { type: 'string' },
      [ALLOW_ALL_SAME_OPTION]: { type: 'boolean' },
      ...MERGEKIT_OPTIONS,
    },
  });
  // mergekit-moe's form, `moe CONFIG.yml OUT`, is taken too.
  const [file, positionalOut, ...extra] = positionals;
  const out = values.out ?? positionalOut;
  if (!file || !out || extra.length > 0 || (values.out !== undefined && positionalOut !== undefined))
    throw new UsageError(USAGE);
  const mk = mergekitSettings(values);
  for (const note of mk.notes) process.stderr.write(`${note}\n`);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new SourceError(`cannot read ${file}: ${e.code ?? String(e)}`);
  });
  const allowAllSame = values[ALLOW_ALL_SAME_OPTION] === true;
  const { config, warnings } = loadMoeConfig(text, file, { allowAllSame });
  for (const w of warnings) process.stderr.write(`${formatProblem(w, file)}\n`);
  const seed = parseSeed(mk.seed);
  const shardSize = mk.shardSize === undefined ? undefined : parseSize(mk.shardSize);
  const progress = mk.quiet ? QUIET : progressPrinter(process.stderr);
  const log = (line: string): void => {
    progress.done();
    process.stderr.write(`${line}\n`);
  };
  const models = resolveModels(values, inputIds(config), { onLog: log, readAdvice: MERGE_READ_ADVICE });
  const lock = await lockFolder(out, log);
  let result: MoeResult;
  try {
    result = await buildMoe({
      config,
      configText: text,
      resolve: models.resolve,
      hubModels: models.hubModels,
      sink: folderSink(out),
      outputName: values.name ?? path.basename(path.resolve(out)),
      ...(shardSize !== undefined && { maxShardBytes: shardSize }),
      ...(seed !== undefined && { seed }),
      onProgress: progress.update,
      onLog: log,
      signal: interruptSignal(),
      ...(!mk.copyTokenizer && { copyTokenizer: false }),
      ...(!mk.writeModelCard && { writeModelCard: false }),
    });
  } finally {
    await lock.release();
  }
  progress.done();
  const hub = hubSummary(models);
  if (hub) process.stderr.write(`${hub}\n`);
  process.stdout.write(
    `built a ${result.experts}-expert ${result.architecture === 'Mixtral' ? 'Mixtral MoE' : result.architecture}${result.sharedExperts ? ` with ${result.sharedExperts} shared expert` : ''} (${result.layers} layers, ${result.tensors} tensors) in ${out} in ${(result.elapsedMs / 1000).toFixed(1)} s: ` +
      `${result.files.length} files, ${(result.bytesWritten / 1e6).toFixed(1)} MB written, ${(result.bytesRead / 1e6).toFixed(1)} MB read in ${result.readRequests} reads` +
      `${result.resumedShards ? `, ${result.resumedShards} shard(s) resumed` : ''}\n`,
  );
}
