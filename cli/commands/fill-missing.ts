/**
 * `fill-missing BASE SUBMODEL --out OUT [--shard-size SIZE]`: mergekit's
 * scripts/fill_missing_params.py (workers/fill-missing; docs/fill-missing.md). BASE's files and
 * tensors, the tensors SUBMODEL has taken from SUBMODEL: a merged language model put back into
 * the vision-language model it came from. Both models are read as merge reads them
 * (../resolve-models.ts: local folders, else a hub). mergekit's option names --output_dir and
 * --max_shard_size (in bytes) are accepted too; as in its script, the default shard size is
 * 5 GiB. The output folder is locked, written and resumed as a merge's is.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeMapping } from '../../workers/fill-missing/find-prefix.ts';
import { fillMissing, FILL_SHARD_BYTES } from '../../workers/fill-missing/fill-missing.ts';
import { lockFolder } from '../../workers/io/node/folder-lock.ts';
import { folderSink } from '../../workers/io/node/fs-sink.ts';
import { parseSize, UsageError } from '../args.ts';
import { interruptSignal } from '../interrupt.ts';
import { placeModel } from '../model-place.ts';
import { progressPrinter } from '../progress.ts';
import { hubSummary, MODEL_OPTIONS, resolveModels } from '../resolve-models.ts';

const USAGE =
  'merge-studio fill-missing BASE SUBMODEL --out OUT [--shard-size SIZE] [--models DIR] [--hub-url URL] [--token TOKEN]';

const OPTIONS = {
  ...MODEL_OPTIONS,
  out: { type: 'string' },
  output_dir: { type: 'string' },
  'shard-size': { type: 'string' },
  max_shard_size: { type: 'string' },
} as const;

/** One of two spellings of an option (ours, mergekit's); both given is an error. */
function either(a: string | undefined, b: string | undefined, names: string): string | undefined {
  if (a !== undefined && b !== undefined) throw new UsageError(`give ${names} once`);
  return a ?? b;
}

/** --shard-size in our units (5B, 500M), or mergekit's --max_shard_size, a whole number of bytes. */
function shardBytes(ours: string | undefined, mergekit: string | undefined): number {
  if (ours !== undefined && mergekit !== undefined)
    throw new UsageError('give --shard-size (or --max_shard_size) once');
  if (mergekit !== undefined && !/^\d+$/.test(mergekit.trim()))
    throw new UsageError(
      `--max_shard_size is a whole number of bytes (got ${mergekit}); --shard-size takes 5B, 500M`,
    );
  const s = ours ?? mergekit;
  const n = s === undefined ? FILL_SHARD_BYTES : parseSize(s);
  if (n < 1) throw new UsageError(`the shard size must be at least 1 byte (got ${s})`);
  return n;
}

/**
 * The output must be neither model's folder (starting the job removes a folder's config and
 * weights) nor inside one (BASE's files are copied with its subfolders: the output's own).
 */
function checkOut(out: string, ids: readonly string[], modelsDir: string | undefined): void {
  const target = path.resolve(out);
  for (const id of ids) {
    const place = placeModel(id, { modelsDir, cwd: process.cwd() });
    if (place.kind !== 'folder') continue;
    const rel = path.relative(path.resolve(place.dir), target);
    if (rel === '')
      throw new UsageError(`--out ${out} is the folder of ${id}: write the output into another folder`);
    if (!rel.startsWith('..') && !path.isAbsolute(rel))
      throw new UsageError(
        `--out ${out} is inside the folder of ${id}: write the output into another folder`,
      );
  }
}

export async function fillMissingCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const [base, submodel, ...extra] = positionals;
  const out = either(values.out, values.output_dir, '--out (or --output_dir)');
  if (!base || !submodel || !out || extra.length > 0) throw new UsageError(USAGE);
  const maxShardBytes = shardBytes(values['shard-size'], values.max_shard_size);
  checkOut(out, [base, submodel], values.models);
  const progress = progressPrinter(process.stderr);
  const log = (line: string): void => {
    progress.done();
    process.stderr.write(`${line}\n`);
  };
  const models = resolveModels(values, [base, submodel], { onLog: log });
  const lock = await lockFolder(out, log);
  try {
    const signal = interruptSignal();
    const [baseSource, subSource] = await Promise.all([
      models.resolve(base, signal),
      models.resolve(submodel, signal),
    ]);
    const r = await fillMissing({
      base: baseSource,
      submodel: subSource,
      sink: folderSink(out),
      maxShardBytes,
      signal,
      onProgress: progress.update,
      onLog: log,
    });
    progress.done();
    const hub = hubSummary(models);
    if (hub) log(hub);
    const prefix =
      r.prefix === ''
        ? 'no prefix'
        : r.nestedUnder !== undefined
          ? describeMapping(r)
          : `prefix ${r.prefix}.`;
    process.stdout.write(
      `filled ${out} in ${(r.elapsedMs / 1000).toFixed(1)} s: ${r.replaced} tensors replaced from ${submodel} (${prefix}), ` +
        `${r.kept} kept from ${base}; ${r.files.length} files, ${(r.bytesWritten / 1e6).toFixed(1)} MB written` +
        `${r.resumedShards ? `, ${r.resumedShards} shard(s) resumed` : ''}\n`,
    );
  } finally {
    await lock.release();
  }
}
