/**
 * `serve DIR [--port N] [--host H]`: offer local model folders to the studio (and to
 * `merge --hub-url`) with the Hugging Face Hub's protocol. DIR/NAME is the repo NAME and
 * DIR/ORG/NAME the repo ORG/NAME. Runs until interrupted (Ctrl-C).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_LOCAL_HUB_PORT, startHubServer } from '../../server/hub-server.ts';
import { findRepos } from '../../server/model-folders.ts';
import { UsageError } from '../args.ts';

const USAGE = 'merge-studio serve DIR [--port N] [--host 127.0.0.1]';

export async function serveCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { port: { type: 'string' }, host: { type: 'string' } },
  });
  const root = positionals[0];
  if (!root || positionals.length > 1) throw new UsageError(USAGE);
  const port = values.port === undefined ? DEFAULT_LOCAL_HUB_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0 to 65535: ${USAGE}`);
  let repos: Map<string, string>;
  try {
    repos = await findRepos(root);
  } catch {
    throw new UsageError(`cannot read the folder ${root}: ${USAGE}`);
  }
  if (repos.size === 0) {
    throw new UsageError(
      `no model folders in ${root}: serve a folder whose sub-folders hold config.json and *.safetensors (${USAGE})`,
    );
  }
  const server = await startHubServer({
    root,
    port,
    ...(values.host !== undefined && { host: values.host }),
  });
  process.stdout.write(
    `serving ${repos.size} model(s) from ${root} at ${server.url}\n` +
      `  ${[...repos.keys()].join(', ')}\n` +
      `merge from it:  merge-studio merge RECIPE.yml --hub-url ${server.url} --out OUT\n` +
      `in the studio:  use the hub URL ${server.url}\n` +
      `Ctrl-C stops it.\n`,
  );
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  await server.close();
}
