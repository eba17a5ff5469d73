/**
 * `bakllama CONFIG.yml OUT [--fp16]`: a bakllama configuration (layer_slices of {model, start,
 * end, scale}) stacked by passthrough (workers/generators/bakllama.ts). Takes merge's options;
 * mergekit's --clone-tensors is accepted with a note, as by merge.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { bakllamaRecipe } from '../../workers/generators/bakllama.ts';
import { SourceError } from '../../workers/io/source.ts';
import { UsageError } from '../args.ts';
import { runGeneratedMerge } from '../generated-merge.ts';
import { MERGE_OPTIONS, mergeSettings } from '../merge-run.ts';

const USAGE = 'merge-studio bakllama CONFIG.yml OUT [--fp16] [--print-yaml] [options]';

export async function bakllamaCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...MERGE_OPTIONS,
      fp16: { type: 'boolean' },
      'no-fp16': { type: 'boolean' },
      'print-yaml': { type: 'boolean' },
    },
  });
  const [file, out, ...extra] = positionals;
  if (!file || !out || extra.length > 0) throw new UsageError(USAGE);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new SourceError(`cannot read ${file}: ${e.code ?? String(e)}`);
  });
  const recipe = bakllamaRecipe(text, { fp16: values.fp16 === true });
  await runGeneratedMerge({ recipe, out, settings: mergeSettings(values), printYaml: values['print-yaml'] });
}
