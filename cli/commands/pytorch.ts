/**
 * `pytorch CONFIG.yml --out OUT [-u | --tensor-union] [-i | --tensor-intersection]
 * [--shard-size S] [--seed N] [--lanes N]`: mergekit-pytorch, bare checkpoints (safetensors
 * or PyTorch files, or folders of them, named by their paths from the working directory)
 * merged tensor by tensor into OUT/model.safetensors (workers/raw). mergekit-pytorch's
 * `CONFIG OUT` form is taken too. The folder is locked, written and resumed as a merge's is.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { lockFolder } from '../../workers/io/node/folder-lock.ts';
import { folderSink } from '../../workers/io/node/fs-sink.ts';
import { pathResolver } from '../../workers/io/node/fs-source.ts';
import { SourceError } from '../../workers/io/source.ts';
import { formatProblem } from '../../workers/plan/problems.ts';
import type { MergeResult } from '../../workers/protocol.ts';
import { loadRawRecipe } from '../../workers/raw/raw-recipe.ts';
import { runRawMerge } from '../../workers/raw/run-raw.ts';
import { UsageError } from '../args.ts';
import { engineOptions, lazyLanes, mergeSettings, QUIET } from '../merge-run.ts';
import { MERGEKIT_OPTIONS } from '../mergekit-options.ts';
import { progressPrinter } from '../progress.ts';

const USAGE =
  'merge-studio pytorch CONFIG.yml --out OUT [--tensor-union | --tensor-intersection] [--shard-size SIZE] [--seed N]';

export async function pytorchCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'tensor-union': { type: 'boolean', short: 'u' },
      'tensor-intersection': { type: 'boolean', short: 'i' },
      'shard-size': { type: 'string' },
      seed: { type: 'string' },
      lanes: { type: 'string' },
      ...MERGEKIT_OPTIONS,
    },
  });
  const [file, positionalOut, ...extra] = positionals;
  const out = values.out ?? positionalOut;
  if (!file || !out || extra.length > 0 || (values.out && positionalOut)) throw new UsageError(USAGE);
  if (values['tensor-union'] && values['tensor-intersection'])
    throw new UsageError('--tensor-union and --tensor-intersection cannot both be given');
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new SourceError(`cannot read ${file}: ${e.code ?? String(e)}`);
  });
  const { recipe, warnings } = loadRawRecipe(text, file);
  for (const w of warnings) process.stderr.write(`${formatProblem(w, file)}\n`);
  const settings = mergeSettings(values);
  const lanes = lazyLanes(settings.laneCount);
  const progress = settings.quiet ? QUIET : progressPrinter(process.stderr);
  const log = (line: string): void => {
    progress.done();
    process.stderr.write(`${line}\n`);
  };
  const lock = await lockFolder(out, log);
  let result: MergeResult;
  try {
    const pool = lanes.get();
    result = await runRawMerge({
      recipe,
      recipeText: text,
      resolve: pathResolver(),
      sink: folderSink(out),
      ...(values['tensor-union'] && { tensors: 'union' as const }),
      ...(values['tensor-intersection'] && { tensors: 'intersection' as const }),
      ...engineOptions(settings, progress, log, pool),
    });
  } finally {
    await lock.release();
    await lanes.close();
  }
  progress.done();
  process.stdout.write(
    `merged ${result.tensors} tensors into ${out} in ${(result.elapsedMs / 1000).toFixed(1)} s: ` +
      `${result.files.length} files, ${(result.bytesWritten / 1e6).toFixed(1)} MB written, ${(result.bytesRead / 1e6).toFixed(1)} MB read in ${result.readRequests} reads` +
      `${result.resumedShards ? `, ${result.resumedShards} shard(s) resumed` : ''}\n`,
  );
}
