/**
 * `tokensurgeon MODEL DONOR OUT [options]`: mergekit-tokensurgeon, MODEL with DONOR's tokenizer
 * (workers/tokensurgeon/run-tokensurgeon.ts; docs/tokensurgeon.md). The models are read as
 * other commands read them (../resolve-models.ts: local folders, --models DIR, else a hub;
 * `base+adapter` references too, as mergekit's model+lora).
 * mergekit's option names are taken as they are, its merge options through
 * ../mergekit-options.ts.
 */
import { parseArgs } from 'node:util';
import { interruptSignal } from '../interrupt.ts';
import { withAdapters } from '../../workers/io/lora/with-adapters.ts';
import { lockFolder } from '../../workers/io/node/folder-lock.ts';
import { folderSink } from '../../workers/io/node/fs-sink.ts';
import { APPROXIMATION_METHODS, type ApproximationMethod } from '../../workers/tokensurgeon/approximate.ts';
import { statsLine } from '../../workers/tokensurgeon/build-embedding.ts';
import { SUBWORD_METHODS, type SubwordMethod } from '../../workers/tokensurgeon/subword.ts';
import { WEIGHT_SCHEMES, type WeightScheme } from '../../workers/tokensurgeon/common-interpolation.ts';
import {
  ALLOW_MATCH,
  runTokenSurgeon,
  type AllowMatch,
  type SurgeryOptions,
} from '../../workers/tokensurgeon/run-tokensurgeon.ts';
import { flagPair, parseSeed, parseSize, UsageError } from '../args.ts';
import { MERGEKIT_OPTIONS, mergekitSettings } from '../mergekit-options.ts';
import { hubSummary, MODEL_OPTIONS, resolveModels } from '../resolve-models.ts';

const USAGE =
  `merge-studio tokensurgeon MODEL DONOR OUT [-a ${APPROXIMATION_METHODS.join('|')}] [-k 64] ` +
  '[--cosine-similarity] [-w distance_proportional|barycentric|least_squares] [-s mean|sum|weighted_mean|first_last] [--prefix-match no|yes|embed|lm_head] ' +
  '[--byte-match no|yes|embed|lm_head] [--magikarp] [--new-vocab-noise S] [--new-vocab-scale F] [--batch-size 512] [--seed N] ' +
  '[--shard-size 5B] [--models DIR] [--hub-url URL] [--token TOKEN]';

const OPTIONS = {
  ...MODEL_OPTIONS,
  ...MERGEKIT_OPTIONS,
  k: { type: 'string', short: 'k' },
  'cosine-similarity': { type: 'boolean', short: 'c' },
  'no-cosine-similarity': { type: 'boolean' },
  'approximation-method': { type: 'string', short: 'a' },
  'weight-scheme': { type: 'string', short: 'w' },
  'subword-method': { type: 'string', short: 's' },
  'batch-size': { type: 'string' },
  'prefix-match': { type: 'string' },
  'byte-match': { type: 'string' },
  magikarp: { type: 'boolean' },
  'no-magikarp': { type: 'boolean' },
  'new-vocab-noise': { type: 'string' },
  'new-vocab-scale': { type: 'string' },
  'shard-size': { type: 'string' },
  seed: { type: 'string' },
} as const;

function choice<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  name: string,
  dflt: T,
): T {
  if (value === undefined) return dflt;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got ${value})`);
}

function method(value: string | undefined): ApproximationMethod {
  return choice(value, APPROXIMATION_METHODS, 'approximation-method', 'omp');
}

function number(
  value: string | undefined,
  name: string,
  check: (n: number) => boolean,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new UsageError(`--${name} must be ${what} (got ${value})`);
  return n;
}

type Values = Readonly<Record<string, string | boolean | readonly (string | boolean)[] | undefined>>;

/** The engine's options from the command line (exported for the tests). */
export function surgeryOptions(values: Values, seed: number): SurgeryOptions {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const cosineSimilarity = flagPair(values, 'cosine-similarity') === true;
  const magikarp = flagPair(values, 'magikarp') === true;
  const subwordMethod = choice<SubwordMethod>(
    str('subword-method'),
    SUBWORD_METHODS,
    'subword-method',
    'mean',
  );
  const k = number(str('k'), 'k', (n) => Number.isInteger(n) && n >= 1, 'a whole number of at least 1') ?? 64;
  // mergekit: -1 (or any n <= 0) for one batch of every token
  const batch =
    number(str('batch-size'), 'batch-size', Number.isInteger, 'a whole number (-1 for no batching)') ?? 512;
  const noise = number(str('new-vocab-noise'), 'new-vocab-noise', (n) => n >= 0, 'a number of at least 0');
  const scale = number(str('new-vocab-scale'), 'new-vocab-scale', () => true, 'a number');
  return {
    method: method(str('approximation-method')),
    k,
    cosineSimilarity,
    weightScheme: choice<WeightScheme>(
      str('weight-scheme'),
      WEIGHT_SCHEMES,
      'weight-scheme',
      'distance_proportional',
    ),
    subwordMethod,
    batchSize: batch > 0 ? batch : Number.MAX_SAFE_INTEGER,
    seed,
    byteMatch: choice<AllowMatch>(str('byte-match'), ALLOW_MATCH, 'byte-match', 'no'),
    prefixMatch: choice<AllowMatch>(str('prefix-match'), ALLOW_MATCH, 'prefix-match', 'no'),
    magikarp,
    ...(noise !== undefined && { newVocabNoise: noise }),
    ...(scale !== undefined && { newVocabScale: scale }),
  };
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** mergekit's multi-letter short options, which Node's parseArgs cannot declare. */
const MERGEKIT_SHORT: Readonly<Record<string, string>> = {
  '-pm': '--prefix-match',
  '-bm': '--byte-match',
  '-nvn': '--new-vocab-noise',
  '-nvs': '--new-vocab-scale',
  '-nc': '--no-cosine-similarity',
};

export async function tokensurgeonCommand(argv: string[]): Promise<void> {
  const args = argv.map((a) => MERGEKIT_SHORT[a] ?? a);
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true });
  const [model, donor, out, ...extra] = positionals;
  if (!model || !donor || !out || extra.length > 0) throw new UsageError(USAGE);
  const all: Values = values;
  const mk = mergekitSettings(all);
  for (const note of mk.notes) log(note);
  for (const f of ['copy-tokenizer', 'write-model-card'] as const) {
    if (all[f] !== undefined || all[`no-${f}`] !== undefined)
      log(`note: --${all[`no-${f}`] ? 'no-' : ''}${f} changes nothing here: tokensurgeon writes the donor's tokenizer and no model card, as mergekit does`); // prettier-ignore
  }
  const options = surgeryOptions(all, parseSeed(mk.seed) ?? 0);
  const shardSize = mk.shardSize === undefined ? undefined : parseSize(mk.shardSize);
  const models = resolveModels(values, [model, donor], { onLog: log });
  const lock = await lockFolder(out, log);
  try {
    const resolve = withAdapters(models.resolve);
    const [modelSource, donorSource] = await Promise.all([resolve(model), resolve(donor)]);
    const result = await runTokenSurgeon({
      model: modelSource,
      donor: donorSource,
      sink: folderSink(out),
      options,
      ...(shardSize !== undefined && { maxShardBytes: shardSize }),
      onLog: mk.quiet ? (line) => void (line.startsWith('warning: ') && log(line)) : log,
      signal: interruptSignal(),
    });
    const hub = hubSummary(models);
    if (hub) log(hub);
    const heads = [result.embed, ...(result.lmHead ? [result.lmHead] : [])];
    process.stdout.write(
      `wrote ${model} with ${donor}'s tokenizer (${result.vocabSize} tokens) into ${out} in ${(result.elapsedMs / 1000).toFixed(1)} s: ` +
        `${result.tensors} tensors${result.resumedShards ? `, ${result.resumedShards} shard(s) resumed` : ''}\n` +
        heads.map((h) => `  ${statsLine(h.name, h.stats)}\n`).join(''),
    );
  } finally {
    await lock.release();
  }
}
