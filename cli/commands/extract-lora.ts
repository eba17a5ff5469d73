/**
 * `extract-lora --model FT --base BASE --out OUT [options]`: mergekit-extract-lora, a PEFT LoRA
 * adapter that approximates FT - BASE (workers/lora-extract/extract-lora.ts; docs/extract-lora.md).
 * The models are read as merge reads them (../resolve-models.ts: local folders, else a hub;
 * `base+adapter` references too). mergekit's option names --base-model and --out-path, and
 * its --distribute-scale / --no-embed-lora, are accepted as well.
 *
 * Tensors saved whole (modules_to_save: embeddings, norms) are applied by PEFT and by Merge
 * Studio's own `base+adapter` reader; bias deltas (lora_B.bias) only with --lora-bias (which
 * sets lora_bias; mergekit never does, and PEFT then ignores them). The command says when it
 * writes bias deltas.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { interruptSignal } from '../interrupt.ts';
import { withAdapters } from '../../workers/io/lora/with-adapters.ts';
import { lockFolder } from '../../workers/io/node/folder-lock.ts';
import { folderSink } from '../../workers/io/node/fs-sink.ts';
import { extractLora, type ExtractOptions } from '../../workers/lora-extract/extract-lora.ts';
import { invocationOf } from '../../workers/lora-extract/invocation.ts';
import { UsageError } from '../args.ts';
import { hubSummary, MODEL_OPTIONS, resolveModels } from '../resolve-models.ts';

const USAGE =
  'merge-studio extract-lora --model FT --base BASE --out OUT [--max-rank 128] [--sv-epsilon E] ' +
  '[--no-distribute-scale] [--embed-lora] [--save-module NAME ...] [-e REGEX ...] [-i REGEX ...] ' +
  '[--skip-undecomposable] [--lora-bias] [--models DIR] [--hub-url URL] [--token TOKEN]';

export { invocationOf };

const OPTIONS = {
  ...MODEL_OPTIONS,
  model: { type: 'string' },
  base: { type: 'string' },
  'base-model': { type: 'string' },
  out: { type: 'string' },
  'out-path': { type: 'string' },
  'max-rank': { type: 'string' },
  'sv-epsilon': { type: 'string' },
  'distribute-scale': { type: 'boolean' },
  'no-distribute-scale': { type: 'boolean' },
  'embed-lora': { type: 'boolean' },
  'no-embed-lora': { type: 'boolean' },
  'save-module': { type: 'string', multiple: true },
  'exclude-regex': { type: 'string', short: 'e', multiple: true },
  'include-regex': { type: 'string', short: 'i', multiple: true },
  'skip-undecomposable': { type: 'boolean' },
  'lora-bias': { type: 'boolean' },
} as const;

/** One of two spellings of an option (ours, mergekit's); both given is an error. */
function either(a: string | undefined, b: string | undefined, names: string): string | undefined {
  if (a !== undefined && b !== undefined) throw new UsageError(`give ${names} once`);
  return a ?? b;
}

/** A pair of on/off flags; both given is an error. */
function flag(on: boolean | undefined, off: boolean | undefined, name: string, byDefault: boolean): boolean {
  if (on && off) throw new UsageError(`--${name} and --no-${name} contradict each other`);
  return on ? true : off ? false : byDefault;
}

function parseRank(s: string | undefined): number {
  if (s === undefined) return 128;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--max-rank must be a whole number of at least 1 (got ${s})`);
  return n;
}

function parseEpsilon(s: string | undefined): number {
  if (s === undefined) return 0;
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--sv-epsilon must be a number of at least 0 (got ${s})`);
  }
  return n;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

export async function extractLoraCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const model = values.model;
  const base = either(values.base, values['base-model'], '--base (or --base-model)');
  const out = either(values.out, values['out-path'], '--out (or --out-path)');
  if (!model || !base || !out || positionals.length > 0) throw new UsageError(USAGE);
  const options: ExtractOptions = {
    maxRank: parseRank(values['max-rank']),
    svEpsilon: parseEpsilon(values['sv-epsilon']),
    distributeScale: flag(
      values['distribute-scale'],
      values['no-distribute-scale'],
      'distribute-scale',
      true,
    ),
    embedLora: flag(values['embed-lora'], values['no-embed-lora'], 'embed-lora', false),
    saveModules: values['save-module'] ?? [],
    excludeRegexes: values['exclude-regex'] ?? [],
    includeRegexes: values['include-regex'] ?? [],
    skipUndecomposable: values['skip-undecomposable'] ?? false,
    ...(values['lora-bias'] && { loraBias: true }),
  };
  const models = resolveModels(values, [model, base], { onLog: log });
  const resolve = withAdapters(models.resolve);
  const started = performance.now();
  const lock = await lockFolder(out, log);
  try {
    const [modelSource, baseSource] = await Promise.all([resolve(model), resolve(base)]);
    const summary = await extractLora({
      model: modelSource,
      base: baseSource,
      sink: folderSink(out),
      options,
      card: {
        name: path.basename(path.resolve(out)),
        model,
        base,
        hubModels: models.hubModels,
        invocation: invocationOf(argv),
      },
      onLog: log,
      signal: interruptSignal(),
    });
    const hub = hubSummary(models);
    if (hub) log(hub);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `extracted a LoRA adapter into ${out} in ${seconds.toFixed(1)} s: ${summary.loraModules.length} modules ` +
        `decomposed (r = ${summary.rank}), ${summary.otherTensors.length} other tensors\n`,
    );
    if (summary.otherTensors.some((t) => t.endsWith('(as lora_B.bias)'))) {
      log(
        options.loraBias
          ? "note: this model's layers have biases; their changes are in the adapter as lora_B.bias, with lora_bias set, " +
              "so PEFT and Merge Studio's base+adapter apply them; PEFT's merge_and_unload refuses an adapter with " +
              'lora_bias on layers without a bias (o_proj, the MLP), and PEFT versions without lora_bias cannot load it.'
          : "note: this model's layers have biases; their changes are in the adapter as lora_B.bias, as mergekit " +
              "writes them, which PEFT and Merge Studio's base+adapter ignore (lora_bias is not set). " +
              'Extract with --lora-bias to have them applied.',
      );
    }
  } finally {
    await lock.release();
  }
}
