/**
 * `serve DIR [--port N] [--host H] [--allow-origin ORIGIN ...]`: offer local model folders to
 * the studio (and to `merge --hub-url`) with the Hugging Face Hub's protocol. DIR/NAME is the
 * repo NAME and DIR/ORG/NAME the repo ORG/NAME. Pages on localhost, 127.0.0.1 and [::1] may read
 * it; a studio served from elsewhere needs `--allow-origin` (server/origins.ts). Runs until
 * interrupted (Ctrl-C).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_LOCAL_HUB_PORT, startHubServer } from '../../server/hub-server.ts';
import { findRepos } from '../../server/model-folders.ts';
import { normalizeOrigin } from '../../server/origins.ts';
import { UsageError } from '../args.ts';

const USAGE = 'merge-studio serve DIR [--port N] [--host 127.0.0.1] [--allow-origin ORIGIN ...]';

export async function serveCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
    },
  });
  const root = positionals[0];
  if (!root || positionals.length > 1) throw new UsageError(USAGE);
  const port = values.port === undefined ? DEFAULT_LOCAL_HUB_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0 to 65535: ${USAGE}`);
  const allowOrigins = (values['allow-origin'] ?? []).map((o) => {
    const origin = normalizeOrigin(o);
    if (origin === undefined)
      throw new UsageError(`--allow-origin wants an origin like https://studio.example, or *: ${USAGE}`);
    return origin;
  });
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
    allowOrigins,
    onRefusedOrigin: tellRefused(),
  });
  process.stdout.write(
    `serving ${repos.size} model(s) from ${root} at ${server.url}\n` +
      `  ${[...repos.keys()].join(', ')}\n` +
      `merge from it:  merge-studio merge RECIPE.yml --hub-url ${server.url} --out OUT\n` +
      `in the studio:  use the hub URL ${server.url}\n` +
      `web pages that may read it: ${allowOrigins.includes('*') ? 'any' : ['those on localhost, 127.0.0.1 or [::1]', ...allowOrigins].join(', ')}\n` +
      `Ctrl-C stops it.\n`,
  );
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  await server.close();
}

/** Says once per origin that a page was refused, and how to allow it. */
function tellRefused(): (origin: string) => void {
  const told = new Set<string>();
  return (origin) => {
    if (told.has(origin) || told.size >= 20) return;
    told.add(origin);
    const quoted = JSON.stringify(origin); // header text: quoted, so nothing in it reaches the terminal raw
    process.stderr.write(
      `refused a page on ${quoted}: if it is your studio, restart with --allow-origin ${quoted}\n`,
    );
  };
}
