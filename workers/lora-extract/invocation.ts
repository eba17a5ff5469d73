/**
 * The command line an adapter's model card shows (README.md: "The following command was used
 * to extract this LoRA adapter"). The CLI shows its own arguments; the studio shows the
 * command that extracts the same adapter (`extractArgs`), so that running it gives the
 * studio's files byte for byte: the models as named, the output folder's name, the options
 * that differ from the defaults, and the hub when it is not huggingface.co. Never a token.
 */
import type { ExtractOptions } from './extract-lora.ts';

/** An argument as a POSIX shell reads it back. */
export const shellQuote = (a: string): string =>
  /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;

/** The command line for the card: shell-quoted, with the token's value withheld. */
export function invocationOf(argv: readonly string[]): string {
  const shown = argv.map((a, i) =>
    argv[i - 1] === '--token' ? '***' : a.startsWith('--token=') ? '--token=***' : a,
  );
  return ['merge-studio', 'extract-lora', ...shown].map(shellQuote).join(' ');
}

export interface ExtractCommand {
  readonly model: string;
  readonly base: string;
  /** The output folder (the card's title is its last part). */
  readonly out: string;
  readonly options: Omit<ExtractOptions, 'svd'>;
  /** The hub the models come from, when it is not the CLI's default. */
  readonly hubUrl?: string | undefined;
}

/**
 * A value option: `--name value`, or `--name=value` when the value starts with '-' (which
 * the CLI's parser would take for an option).
 */
const valued = (name: string, value: string): string[] =>
  value.startsWith('-') ? [`${name}=${value}`] : [name, value];

/** The CLI's arguments for this extraction (after `merge-studio extract-lora`). */
export function extractArgs(c: ExtractCommand): string[] {
  const o = c.options;
  return [
    ...valued('--model', c.model),
    ...valued('--base', c.base),
    ...valued('--out', c.out),
    '--max-rank',
    String(o.maxRank),
    ...(o.svEpsilon > 0 ? ['--sv-epsilon', String(o.svEpsilon)] : []),
    ...(o.distributeScale ? [] : ['--no-distribute-scale']),
    ...(o.embedLora ? ['--embed-lora'] : []),
    ...o.saveModules.flatMap((m) => valued('--save-module', m)),
    ...o.excludeRegexes.flatMap((r) => valued('--exclude-regex', r)),
    ...o.includeRegexes.flatMap((r) => valued('--include-regex', r)),
    ...(o.skipUndecomposable ? ['--skip-undecomposable'] : []),
    ...(o.loraBias ? ['--lora-bias'] : []),
    ...(c.hubUrl !== undefined ? valued('--hub-url', c.hubUrl) : []),
  ];
}
