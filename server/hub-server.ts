/**
 * The local hub: a small Node HTTP server that serves folders of models with the Hugging Face
 * Hub's protocol, so the studio (browser or CLI) reads them exactly as it reads the Hub. Used by
 * `npm start` (the bundled demo models), by `merge-studio serve DIR` (a user's own folders), and
 * by tests, which start it on port 0 with fault injection (see faults.ts).
 *
 * Folders are read on every request (a few stat calls), so models added or changed while it
 * runs are served at once, under a new commit sha. It binds to 127.0.0.1 by default: serving
 * a user's folders to the whole network must be asked for (`host`). Only pages on this
 * machine's loopback origins, and those in `allowOrigins`, may read it from a browser; while
 * bound to a loopback address it answers only requests addressed to a loopback name (origins.ts).
 *
 * With `uploads` it also accepts what @huggingface/hub's createRepo and commit send (uploads.ts):
 * published repos go to a folder of their own, served next to `root`; `root` is never written.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchesSearch, modelJson, pathsInfo, treeListing } from './api-responses.ts';
import {
  checkToken,
  isGated,
  newCounters,
  shouldFail,
  type FaultCounters,
  type FaultOptions,
} from './faults.ts';
import { sendFile } from './file-response.ts';
import { answerPreflight, HttpError, readJson, sendError, sendJson, setCors } from './http-util.ts';
import { findServedRepos, servedRepo, snapshotRepo, type RepoSnapshot } from './model-folders.ts';
import { isAllowedOrigin, isLoopbackAddress, isLoopbackHost, normalizeOrigin } from './origins.ts';
import { parseRoute, parseWriteRoute, type Route } from './routes.ts';
import { refuseReadOnly, Uploads } from './uploads.ts';

export interface HubServerOptions extends FaultOptions {
  /** A folder of model folders (or one model folder). */
  readonly root: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /**
   * Origins of pages that may read the hub besides loopback ones (`https://studio.example`);
   * `*` allows every page.
   */
  readonly allowOrigins?: readonly string[];
  /** Called when a page on another origin is refused (to tell the user about `allowOrigins`). */
  readonly onRefusedOrigin?: (origin: string) => void;
  /** Called once per answered request; never given the Authorization header's value. */
  readonly onRequest?: (entry: RequestLogEntry) => void;
  /** Accept uploads (createRepo, commits) as the Hub does; without it every write is refused (403). */
  readonly uploads?: {
    /** Folder where uploaded repos are written (ROOT/ORG/NAME) and served from, next to `root`. */
    readonly root: string;
    /** Tokens that may write (`Authorization: Bearer <token>`); absent = any request may write (the server only answers loopback pages anyway). */
    readonly tokens?: readonly string[];
    /** LFS objects larger than this are uploaded in parts (the Hub's multipart transfer); default 64 MiB. */
    readonly multipartChunkBytes?: number;
  };
}

export interface RequestLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly range?: string;
  readonly authorization: boolean;
}

export interface HubServer {
  /** e.g. http://127.0.0.1:5174, without a trailing slash (as @huggingface/hub wants hubUrl). */
  readonly url: string;
  readonly port: number;
  /** Requests, downloads and injected faults so far. */
  readonly counters: FaultCounters;
  close(): Promise<void>;
}

export class HubServerError extends Error {
  override readonly name = 'HubServerError';
}

const DEFAULT_HOST = '127.0.0.1';

/**
 * The port of the demo hub `npm start` runs and of `merge-studio serve` by default: the studio
 * looks for a local hub at http://127.0.0.1:5174 unless VITE_LOCAL_HUB_URL says otherwise.
 */
export const DEFAULT_LOCAL_HUB_PORT = 5174;

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const allowOrigins = (options.allowOrigins ?? []).map((o) => {
    const origin = normalizeOrigin(o);
    if (origin === undefined)
      throw new HubServerError(`allowed origins are like https://studio.example (or *), not '${o}'`);
    return origin;
  });
  const opts: HubServerOptions = { ...options, allowOrigins };
  const uploads = opts.uploads && (await Uploads.open(opts.uploads, opts.root));
  const counters = newCounters();
  const server = createServer((req, res) => {
    handle(req, res, opts, counters, uploads).catch((e: unknown) => {
      if (res.headersSent) res.destroy();
      else if (e instanceof HttpError) sendError(res, e.status, e.code, e.message);
      else sendError(res, 500, undefined, `local hub error: ${(e as Error).message}`);
    });
  });
  // Keep-alive sockets would otherwise hold close() open for seconds after a test.
  server.keepAliveTimeout = 2000;
  const host = opts.host ?? DEFAULT_HOST;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new HubServerError(
              `port ${opts.port} is in use: choose another with --port N (0 picks a free one)`,
            )
          : e,
      ),
    );
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? DEFAULT_HOST : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    counters,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  opts: HubServerOptions,
  counters: FaultCounters,
  uploads: Uploads | undefined,
): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://local');
  if (opts.onRequest) {
    res.on('finish', () =>
      opts.onRequest?.({
        method,
        path: url.pathname + url.search,
        status: res.statusCode,
        ...(req.headers.range !== undefined && { range: req.headers.range }),
        authorization: req.headers.authorization !== undefined,
      }),
    );
  }
  if (refused(req, res, opts)) return;
  if (method === 'OPTIONS') return answerPreflight(req, res);
  if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
  if (shouldFail(opts, counters)) {
    const status = opts.failStatus ?? 503;
    const retry =
      status === 429 || status === 503 ? { 'Retry-After': String(opts.retryAfterSeconds ?? 0) } : {};
    return sendError(res, status, undefined, `injected failure (request ${counters.requests})`, retry);
  }
  const write = parseWriteRoute(method, url.pathname);
  // PUT is for the LFS upload URLs only.
  const allowed = ['GET', 'HEAD', 'POST', ...(write?.kind === 'lfs-upload' ? ['PUT'] : [])];
  if (!allowed.includes(method)) {
    return sendError(res, 405, undefined, `${method} is not supported by the local hub`);
  }
  if (write) return uploads ? uploads.handle(write, req, res) : refuseReadOnly(res);
  const route = await parseRoute(
    method,
    url.pathname,
    async (id) => (await servedRepo(opts.root, opts.uploads?.root, id)) !== undefined,
  );
  await dispatch(route, req, res, url, opts, counters, uploads);
}

async function dispatch(
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  opts: HubServerOptions,
  counters: FaultCounters,
  uploads: Uploads | undefined,
): Promise<void> {
  const head = req.method === 'HEAD';
  switch (route.kind) {
    case 'home': {
      const models = [...(await findServedRepos(opts.root, opts.uploads?.root)).keys()];
      return sendJson(res, 200, { name: 'merge-studio local hub', models }, head);
    }
    case 'search': {
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      const out: Record<string, unknown>[] = [];
      for (const [id, dir] of await findServedRepos(opts.root, opts.uploads?.root)) {
        if (out.length >= limit) break;
        if (matchesSearch(id, url.searchParams))
          out.push(await modelJson(await snapshotRepo(id, dir), isGated(opts, id)));
      }
      return sendJson(res, 200, out, head);
    }
    case 'whoami': {
      const auth = req.headers.authorization;
      const writer = uploads?.isWriteToken(auth) ?? false;
      const known = writer || Object.values(opts.tokens ?? {}).some((t) => auth === `Bearer ${t}`);
      if (!known) return sendError(res, 401, 'Unauthorized', 'Invalid credentials in Authorization header');
      return sendJson(res, 200, {
        type: 'user',
        id: 'local',
        name: 'local-user',
        fullname: 'Local hub user',
        auth: {
          type: 'access_token',
          accessToken: { displayName: 'local', role: writer ? 'write' : 'read' },
        },
      });
    }
    case 'no-repo':
      return sendError(res, 404, 'RepoNotFound', `Repository not found: ${route.repo} is not served here`);
    case 'unknown':
      return sendError(res, 404, undefined, `not a Hub endpoint the local hub serves: ${url.pathname}`);
    default:
      break;
  }
  const { dir } = (await servedRepo(opts.root, opts.uploads?.root, route.repo))!;
  const repo = await snapshotRepo(route.repo, dir);
  if (route.kind !== 'info') {
    const token = checkToken(opts, route.repo, req.headers.authorization);
    if (token !== 'ok') {
      const msg =
        token === 'missing'
          ? `Access to model ${route.repo} is restricted. You must have access to it and be authenticated to access it. Please log in.`
          : `Access to model ${route.repo} is restricted and you are not in the authorized list.`;
      return sendError(res, token === 'missing' ? 401 : 403, 'GatedRepo', msg);
    }
  }
  if (!isCurrent(repo, route.rev)) {
    return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${route.rev}`);
  }
  switch (route.kind) {
    case 'info':
      return sendJson(res, 200, await modelJson(repo, isGated(opts, route.repo)), head);
    case 'tree': {
      const list = treeListing(repo, route.path, url.searchParams.get('recursive') === 'true');
      if (!list) return sendError(res, 404, 'EntryNotFound', `${route.path} does not exist on ${route.rev}`);
      return sendJson(res, 200, list, head);
    }
    case 'paths-info': {
      const body = await readJson(req);
      const paths = Array.isArray(body['paths'])
        ? body['paths'].filter((p): p is string => typeof p === 'string')
        : [];
      return sendJson(res, 200, pathsInfo(repo, paths));
    }
    case 'file': {
      const file = repo.files.find((f) => f.path === route.path);
      if (!file) return sendError(res, 404, 'EntryNotFound', `Entry not found: ${route.path}`);
      return sendFile(req, res, repo, file, opts, counters);
    }
  }
}

/**
 * Sets the CORS headers, or refuses (403, no CORS headers, so a preflight fails too) a page on
 * an origin not allowed, and, while bound to a loopback address, a request addressed to another
 * name: a DNS name rebound to 127.0.0.1 (origins.ts).
 */
function refused(req: IncomingMessage, res: ServerResponse, opts: HubServerOptions): boolean {
  const { origin, host } = req.headers;
  if (origin !== undefined && !isAllowedOrigin(origin, opts.allowOrigins)) {
    setCors(res, undefined);
    opts.onRefusedOrigin?.(origin);
    sendError(
      res,
      403,
      undefined,
      `pages on ${origin} may not read this hub; allow them with --allow-origin`,
    );
    return true;
  }
  setCors(res, origin);
  // Bound to loopback (the default, or --host 127.0.0.1 written out), a request addressed to any
  // other name is a rebound DNS name's page: refused. A host the network can reach is asked for.
  if (isLoopbackAddress(opts.host ?? DEFAULT_HOST) && host !== undefined && !isLoopbackHost(host)) {
    sendError(res, 403, undefined, `this hub answers requests to 127.0.0.1 or localhost, not ${host}`);
    return true;
  }
  return false;
}

/** `main` and `HEAD` follow the folder; a commit sha must still be the folder's current one. */
function isCurrent(repo: RepoSnapshot, rev: string): boolean {
  return rev === 'main' || rev === 'HEAD' || rev === repo.sha;
}
