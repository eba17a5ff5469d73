/**
 * `publish DIR --repo NAMESPACE/NAME [--private] [--message M] [--hub-url URL] [--token T]`: a
 * finished output folder (a merge, MoE build or extracted LoRA) as a model repo on the Hub, in
 * one commit (workers/publish). The repo is created when missing. The token comes from --token,
 * else $HF_TOKEN (for huggingface.co and $HF_ENDPOINT only, as for reading).
 */
import { parseArgs } from 'node:util';
import { diskFolder } from '../../workers/io/node/folder-reader.ts';
import { publishableFiles } from '../../workers/publish/folder-files.ts';
import { publishModel, checkPublishRepo, type PublishProgress } from '../../workers/publish/publish-model.ts';
import { UsageError } from '../args.ts';
import { interruptSignal } from '../interrupt.ts';
import { hubAccess } from '../resolve-models.ts';

const USAGE =
  'merge-studio publish DIR --repo NAMESPACE/NAME [--private] [--message TEXT] [--hub-url URL] [--token TOKEN]';

const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;

export async function publishCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      repo: { type: 'string' },
      private: { type: 'boolean' },
      message: { type: 'string', short: 'm' },
      'hub-url': { type: 'string' },
      token: { type: 'string' },
    },
  });
  const dir = positionals[0];
  if (!dir || positionals.length > 1 || values.repo === undefined) throw new UsageError(USAGE);
  const repo = checkPublishRepo(values.repo);
  const access = hubAccess(values, process.env);
  if (access.withheld) process.stderr.write(`${access.withheld}\n`);
  const files = await publishableFiles(diskFolder(dir), dir).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no folder ${dir}: ${USAGE}`);
    throw e;
  });
  const bytes = files.reduce((s, f) => s + f.blob.size, 0);
  process.stderr.write(
    `publishing ${files.length} files (${mb(bytes)}) from ${dir} to ${repo} on ${access.hubUrl}\n`,
  );
  const show = progressLines(process.stderr);
  const result = await publishModel(
    {
      hubUrl: access.hubUrl,
      token: access.token,
      repo,
      ...(values.private === true && { private: true }),
      ...(values.message !== undefined && { message: values.message }),
    },
    files,
    {
      signal: interruptSignal(),
      onProgress: show.update,
      onLog: (line) => void process.stderr.write(`${line}\n`),
    },
  );
  show.done();
  process.stdout.write(
    `published ${result.files} files (${mb(result.bytes)}) to ${result.url}` +
      `${result.created ? ' (new repo)' : ''}${result.commitUrl ? `\ncommit: ${result.commitUrl}` : ''}\n`,
  );
}

/** A line about once a second (a redrawn one on a terminal): phase, bytes hashed and sent. */
function progressLines(stream: NodeJS.WriteStream): {
  update: (p: PublishProgress) => void;
  done: () => void;
} {
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const text =
        `${p.phase}: hashed ${mb(p.hashedBytes)}, sent ${mb(p.uploadedBytes)} of ${mb(p.bytes)}` +
        `${p.current ? ` (${p.current})` : ''}${p.attempt > 1 ? `, try ${p.attempt}` : ''}`;
      if (stream.isTTY) {
        stream.write(`\r${text}\x1b[K`);
        drawn = true;
      } else if (Date.now() - last >= 1000) {
        last = Date.now();
        stream.write(`${text}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}
