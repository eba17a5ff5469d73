/**
 * mergekit's merge options (mergekit/options.py), taken by `merge` and `multi` so that a
 * mergekit-yaml command line runs unchanged: the ones with a meaning here are applied
 * (--out-shard-size, --random-seed, --no-copy-tokenizer, --no-write-model-card, --quiet), the
 * ones about torch devices, threads and caches are accepted with a note saying they change
 * nothing here, and the ones we cannot honour are refused (--no-safe-serialization: we write
 * safetensors only; --lora-merge-dtype).
 */
import { flagPair, UsageError } from './args.ts';

/** A flag with mergekit's `--x/--no-x` pair. */
const pair = (name: string) =>
  ({ [name]: { type: 'boolean' }, [`no-${name}`]: { type: 'boolean' } }) as const;

/** Flags accepted and ignored, and why they change nothing here. */
const IGNORED: Readonly<Record<string, string>> = {
  cuda: 'the merge runs on the CPU, in worker threads (--lanes)',
  device: 'the merge runs on the CPU, in worker threads (--lanes)',
  'gpu-rich': 'the merge runs on the CPU, in worker threads (--lanes)',
  'read-to-gpu': 'the merge runs on the CPU',
  'multi-gpu': 'the merge runs on the CPU',
  'low-cpu-memory': 'memory is bounded already: about one tensor per model',
  'lazy-unpickle': 'PyTorch checkpoints are always read lazily, by range, their pickles never run',
  'trust-remote-code': 'no model code is ever run',
  'allow-crimes': 'models of other architectures are merged whenever their tensor names and shapes match',
  'clone-tensors': 'every output tensor is written from its own buffer',
  'async-write': 'writes always overlap the merge',
  'write-threads': 'writes always overlap the merge',
  'num-threads': 'use --lanes for the worker threads that merge large tensors',
  'transformers-cache': 'Hub files are read by range, never cached to disk',
  'lora-merge-cache': 'LoRA adapters are applied as their base is read, never saved',
  verbose: 'every step is logged already',
};

export const MERGEKIT_OPTIONS = {
  'out-shard-size': { type: 'string' },
  'random-seed': { type: 'string' },
  ...pair('copy-tokenizer'),
  ...pair('write-model-card'),
  ...pair('safe-serialization'),
  ...pair('quiet'),
  'lora-merge-dtype': { type: 'string' },
  ...pair('cuda'),
  device: { type: 'string' },
  'gpu-rich': { type: 'boolean' },
  ...pair('read-to-gpu'),
  ...pair('multi-gpu'),
  ...pair('low-cpu-memory'),
  ...pair('lazy-unpickle'),
  ...pair('trust-remote-code'),
  ...pair('allow-crimes'),
  ...pair('clone-tensors'),
  ...pair('async-write'),
  'write-threads': { type: 'string' },
  'num-threads': { type: 'string', short: 'j' },
  'transformers-cache': { type: 'string' },
  'lora-merge-cache': { type: 'string' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
} as const;

export interface MergekitSettings {
  /** --shard-size, or mergekit's --out-shard-size. */
  readonly shardSize: string | undefined;
  /** --seed, or mergekit's --random-seed. */
  readonly seed: string | undefined;
  readonly copyTokenizer: boolean;
  readonly writeModelCard: boolean;
  readonly quiet: boolean;
  /** One line per ignored flag, to print. */
  readonly notes: readonly string[];
}

type Values = Readonly<Record<string, string | boolean | readonly (string | boolean)[] | undefined>>;

export function mergekitSettings(values: Values): MergekitSettings {
  const either = (ours: string, theirs: string): string | undefined => {
    if (values[ours] !== undefined && values[theirs] !== undefined)
      throw new UsageError(`give --${ours} or mergekit's --${theirs}, not both`);
    return (values[ours] ?? values[theirs]) as string | undefined;
  };
  const flag = (name: string, dflt: boolean): boolean => flagPair(values, name) ?? dflt;
  if (values['no-safe-serialization'])
    throw new UsageError('--no-safe-serialization: Merge Studio writes safetensors only (no pickled output)');
  if (values['lora-merge-dtype'] !== undefined)
    throw new UsageError(
      "--lora-merge-dtype is not supported: a LoRA is merged into its base in the base's dtype (mergekit's default)",
    );
  const notes = Object.entries(IGNORED)
    .filter(([name]) => values[name] !== undefined || values[`no-${name}`] !== undefined)
    .map(
      ([name, why]) =>
        `note: mergekit's --${values[`no-${name}`] ? `no-${name}` : name} changes nothing here: ${why}`,
    );
  return {
    shardSize: either('shard-size', 'out-shard-size'),
    seed: either('seed', 'random-seed'),
    copyTokenizer: flag('copy-tokenizer', true),
    writeModelCard: flag('write-model-card', true),
    quiet: flag('quiet', false),
    notes,
  };
}
