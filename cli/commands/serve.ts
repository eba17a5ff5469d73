/**
 * `serve DIR [--port N] [--host H] [--allow-origin ORIGIN ...] [--uploads DIR2 [--write-token T ...]]`:
 * offer local model folders to the studio (and to `merge --hub-url`) with the Hugging Face Hub's
 * protocol. DIR/NAME is the repo NAME and DIR/ORG/NAME the repo ORG/NAME. Pages on localhost,
 * 127.0.0.1 and [::1] may read it; a studio served from elsewhere needs `--allow-origin`
 * (server/origins.ts). With `--uploads DIR2` it also accepts what the Hub's client publishes
 * (`merge-studio publish --hub-url`, the studio's "Publish to the hub"), into DIR2/ORG/NAME,
 * served next to DIR's folders; DIR itself is never written. `--write-token` (repeatable) limits
 * publishing to requests carrying one of those tokens. Runs until interrupted (Ctrl-C).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LOCAL_HUB_PORT, startHubServer } from '../../server/hub-server.ts';
import { findServedRepos } from '../../server/model-folders.ts';
import { isLoopbackAddress, normalizeOrigin } from '../../server/origins.ts';
import { UsageError } from '../args.ts';

const USAGE =
  'merge-studio serve DIR [--port N] [--host 127.0.0.1] [--allow-origin ORIGIN ...] [--uploads DIR2 [--write-token hf_... ...]]';

export async function serveCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      uploads: { type: 'string' },
      'write-token': { type: 'string', multiple: true },
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
  const uploads = await uploadOptions(root, values.uploads, values['write-token']);
  let repos: Map<string, string>;
  try {
    repos = await findServedRepos(root, uploads?.root);
  } catch {
    throw new UsageError(`cannot read the folder ${root}: ${USAGE}`);
  }
  // With uploads an empty hub is useful: models are published to it.
  if (repos.size === 0 && !uploads) {
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
    ...(uploads && { uploads }),
  });
  process.stdout.write(
    `serving ${repos.size} model(s) from ${root} at ${server.url}\n` +
      (repos.size > 0 ? `  ${[...repos.keys()].join(', ')}\n` : '') +
      uploadsBanner(uploads, server.url, values.host) +
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

type Uploads = { readonly root: string; readonly tokens?: readonly string[] };

/** The uploads option from --uploads and --write-token; the folder is created. */
async function uploadOptions(
  root: string,
  dir: string | undefined,
  tokens: string[] | undefined,
): Promise<Uploads | undefined> {
  if (dir === undefined) {
    if (tokens?.length) throw new UsageError(`--write-token goes with --uploads DIR2: ${USAGE}`);
    return undefined;
  }
  const a = path.resolve(root);
  const b = path.resolve(dir);
  if (a === b || a.startsWith(b + path.sep) || b.startsWith(a + path.sep)) {
    throw new UsageError(
      `--uploads wants a folder apart from ${root} (not it, nor inside it, nor around it)`,
    );
  }
  // @huggingface/hub refuses any token that does not start with hf_: others could never publish.
  if (tokens?.some((t) => !/^hf_\S+$/.test(t))) {
    throw new UsageError('a --write-token starts with hf_ (the Hub client sends no other) and has no spaces');
  }
  try {
    await mkdir(b, { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create the uploads folder ${dir}: ${(e as Error).message}`);
  }
  return { root: dir, ...(tokens?.length && { tokens }) };
}

/** The banner's lines on uploads. Tokens are never printed. */
function uploadsBanner(uploads: Uploads | undefined, url: string, host: string | undefined): string {
  if (!uploads) return `uploads: off (read-only; --uploads DIR2 lets the studio publish here)\n`;
  const who = uploads.tokens
    ? `requests with one of the ${uploads.tokens.length} --write-token(s)`
    : 'any program here, and the web pages allowed below';
  const exposed =
    !uploads.tokens && host !== undefined && !isLoopbackAddress(host)
      ? `  warning: ${host} is reachable from the network and no --write-token is set: anyone who reaches it may publish\n`
      : '';
  return (
    `uploads: on, into ${uploads.root} (who may publish: ${who})\n` +
    `publish to it:  merge-studio publish OUT --repo ORG/NAME --hub-url ${url} --token hf_...\n` +
    exposed
  );
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
