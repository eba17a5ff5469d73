/**
 * `eval MODEL_DIR --text FILE [--text FILE ...] [--windows K] [--json]`: the mean loss of a
 * model on texts, in nats per token over non-overlapping windows of 128 tokens (the definition
 * of test-data/tinymix/FIXTURES.md), computed by the same engine code the studio runs in a worker.
 * One line per text, the number first; --json prints the results as a JSON array instead.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateTexts, loadEvalModel, createEvaluator, tokenizeTexts } from '../../workers/eval/evaluate.ts';
import { folderModelSource } from '../../workers/io/node/fs-source.ts';
import { SourceError } from '../../workers/io/source.ts';
import { UsageError } from '../args.ts';

const USAGE = 'merge-studio eval MODEL_DIR --text FILE [--text FILE ...] [--windows K] [--json]';

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new SourceError(`cannot read text file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function parseWindows(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--windows must be a whole number of at least 1 (got ${s})`);
  return n;
}

export async function evalCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      text: { type: 'string', multiple: true },
      windows: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const dir = positionals[0];
  if (!dir || positionals.length > 1 || !values.text?.length) throw new UsageError(USAGE);
  const windows = parseWindows(values.windows);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new SourceError(`model folder ${dir} not found`);

  const texts = await Promise.all(values.text.map(async (f) => ({ name: f, text: await readText(f) })));
  const { weights, tokenizer } = await loadEvalModel(
    folderModelSource(path.basename(path.resolve(dir)), dir),
  );
  const evaluator = createEvaluator(weights);
  const started = performance.now();
  const results = await evaluateTexts(evaluator, tokenizeTexts(tokenizer, texts), {
    ...(windows !== undefined && { windows }),
  });
  const seconds = (performance.now() - started) / 1000;
  if (values.json) {
    const rows = results.map((r) => ({
      text: r.name,
      loss: r.loss,
      windows: r.windows,
      availableWindows: r.available,
      tokens: r.tokens,
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  for (const r of results) {
    const of =
      r.windows < r.available ? ` (first ${r.windows} of ${r.available} windows)` : ` (${r.windows} windows)`;
    process.stdout.write(`${r.loss.toFixed(4)} nats/token  ${r.name}${of}\n`);
  }
  const tokens = results.reduce((s, r) => s + r.tokens, 0);
  process.stderr.write(`${tokens} tokens in ${seconds.toFixed(1)} s (${Math.round(tokens / seconds)} tokens/s, ${evaluator.matmul.kind})\n`); // prettier-ignore
}
