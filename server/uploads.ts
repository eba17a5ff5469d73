/**
 * The local hub's write side: what @huggingface/hub's createRepo and commit (`useXet: false`)
 * ask of the Hub, so the studio or the CLI publishes a model to the local hub with the same
 * client that publishes to huggingface.co. Routes are parsed in routes.ts (parseWriteRoute).
 *
 * Uploaded repos live in the uploads root (UPLOADS_ROOT/ORG/NAME) and are served read-side like
 * the served root's. Only they are writable: a repo of the served root is the user's own folder,
 * which a publish must never change (403). Every write needs a write token when the hub was
 * given some (401 without one, 403 for another), except the LFS upload URLs, which carry their
 * own one-time key (lfs-transfer.ts). Tokens are compared in constant time and never echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { applyCommit, parseCommit, validateCommit, type CommitOp } from './commit.ts';
import { HttpError, objectList, readBody, readJson, sendError, sendJson } from './http-util.ts';
import { LfsStore } from './lfs-store.ts';
import { LfsTransfers } from './lfs-transfer.ts';
import { isValidRepoId, servedRepo, snapshotRepo } from './model-folders.ts';
import type { HubServerOptions } from './hub-server.ts';
import type { WriteRoute } from './routes.ts';
import { checkRepoPath, uploadMode } from './upload-paths.ts';

export type UploadOptions = NonNullable<HubServerOptions['uploads']>;

const DEFAULT_CHUNK = 64 * 1024 * 1024;
/** NDJSON commits carry small files inline (base64); big ones go through LFS. */
const MAX_COMMIT_BYTES = 64 * 1024 * 1024;

const inside = (x: string, y: string): boolean => x === y || x.startsWith(y + path.sep);

const digest = (t: string): Buffer => createHash('sha256').update(t).digest();

/** This hub's URL as the client reached it, for the URLs in upload answers. */
function baseUrl(req: IncomingMessage): string {
  const host = req.headers.host;
  return host !== undefined && /^[\w.:[\]-]+$/.test(host)
    ? `http://${host}`
    : `http://127.0.0.1:${req.socket.localPort}`;
}

/** 403 for every write to a hub started without uploads. */
export function refuseReadOnly(res: ServerResponse): void {
  sendError(
    res,
    403,
    undefined,
    'this local hub is read-only: start it with uploads allowed (merge-studio serve DIR --uploads UPLOADS_DIR) to publish to it',
  );
}

export class Uploads {
  private readonly store: LfsStore;
  private readonly transfers: LfsTransfers;
  private readonly tokenDigests: readonly Buffer[] | undefined;
  /** Commits to one repo run one after another (repo id -> the last one's promise). */
  private readonly locks = new Map<string, Promise<unknown>>();

  private constructor(
    private readonly opts: UploadOptions,
    private readonly servedRoot: string,
  ) {
    this.store = new LfsStore(opts.root);
    this.transfers = new LfsTransfers(this.store, opts.multipartChunkBytes ?? DEFAULT_CHUNK);
    this.tokenDigests = opts.tokens?.map(digest);
  }

  /**
   * The uploads folder must be apart from the served one: nested either way, a published repo
   * would be served as a read-only folder of `root`, or a user's folder as a writable upload.
   */
  static async open(opts: UploadOptions, servedRoot: string): Promise<Uploads> {
    const a = path.resolve(servedRoot);
    const b = path.resolve(opts.root);
    if (inside(a, b) || inside(b, a)) {
      throw new Error(`the uploads folder ${opts.root} must be apart from the served folder ${servedRoot}`);
    }
    await mkdir(opts.root, { recursive: true });
    const u = new Uploads(opts, servedRoot);
    await u.store.init();
    return u;
  }

  /** Whether an Authorization header carries a token that may write (any one when none are set). */
  isWriteToken(authorization: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return false;
    const d = digest(m[1]!);
    return !this.tokenDigests || this.tokenDigests.some((t) => timingSafeEqual(t, d));
  }

  /** Refuses a write without a write token (401) or with another token (403), when tokens are set. */
  private authorize(authorization: string | undefined): void {
    if (!this.tokenDigests || this.isWriteToken(authorization)) return;
    if (authorization === undefined) {
      throw new HttpError(
        401,
        'You must be authenticated to write to this hub: send a write token (Authorization: Bearer TOKEN)',
      );
    }
    throw new HttpError(
      403,
      'This token may not write to this hub: use one of its write tokens (--write-token)',
    );
  }

  async handle(route: WriteRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const base = baseUrl(req);
    if (route.kind === 'lfs-upload') {
      if (req.method === 'PUT') return this.transfers.put(req, res, route.key, route.part);
      if (route.part !== undefined) throw new HttpError(405, 'parts are sent with PUT');
      return this.transfers.complete(req, res, route.key);
    }
    this.authorize(req.headers.authorization);
    if (route.kind === 'create-repo') return this.createRepo(req, res, base);
    if (route.repoType !== 'model')
      throw new HttpError(400, `the local hub hosts model repos only, not ${route.repoType}s`);
    const dir = await this.writableRepo(route.repo);
    if (route.kind === 'lfs-batch') return this.transfers.batch(req, res, base);
    if (route.rev !== 'main')
      throw new HttpError(
        404,
        `Invalid rev id: ${route.rev} (the local hub has only main)`,
        'RevisionNotFound',
      );
    if (new URL(req.url ?? '/', 'http://local').searchParams.has('create_pr')) {
      throw new HttpError(400, 'the local hub has no pull requests: commit to main');
    }
    if (route.kind === 'preupload') return this.preupload(req, res);
    const text = await readBody(req, MAX_COMMIT_BYTES);
    return this.serially(route.repo, () => this.commit(route.repo, dir, text, res, base));
  }

  /** The folder of an uploaded repo; 404 when there is no such repo, 403 when it is read-only. */
  private async writableRepo(id: string): Promise<string> {
    const repo = await servedRepo(this.servedRoot, this.opts.root, id);
    if (!repo) throw new HttpError(404, `Repository not found: ${id} (create it first)`, 'RepoNotFound');
    if (!repo.uploaded) {
      throw new HttpError(403, `${id} is a folder this hub serves read-only; publish under another name`);
    }
    return repo.dir;
  }

  private async createRepo(req: IncomingMessage, res: ServerResponse, base: string): Promise<void> {
    const body = await readJson(req, 32_000_000);
    const { name, organization, type, files } = body;
    if (type !== undefined && type !== 'model')
      throw new HttpError(400, `the local hub hosts model repos only, not ${String(type)}s`);
    const id = `${String(organization)}/${String(name)}`;
    if (typeof name !== 'string' || typeof organization !== 'string' || !isValidRepoId(id)) {
      throw new HttpError(
        400,
        `not a valid repo id: ${JSON.stringify(id)} (ORG/NAME of letters, digits, - _ .)`,
      );
    }
    const ops: CommitOp[] = (files === undefined ? [] : objectList(files, 'files')).map((f) => {
      if (typeof f.content !== 'string') throw new HttpError(400, 'a file needs its content (base64)');
      return { kind: 'write', path: checkRepoPath(f.path), bytes: Buffer.from(f.content, 'base64') };
    });
    if (await servedRepo(this.servedRoot, this.opts.root, id)) {
      throw new HttpError(409, `You already created this model repo: ${id}`);
    }
    const dir = path.join(this.opts.root, organization, name);
    await mkdir(path.dirname(dir), { recursive: true });
    try {
      await mkdir(dir); // not recursive: of two concurrent creations, one fails here
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST')
        throw new HttpError(409, `You already created this model repo: ${id}`);
      throw e;
    }
    if (ops.length > 0) await applyCommit({ header: { summary: 'initial files' }, ops }, dir, this.store);
    sendJson(res, 200, { url: `${base}/${id}`, id, name: id });
  }

  private async preupload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req, 16_000_000);
    const files = objectList(body['files'], 'preupload files').map((f) => {
      const p = checkRepoPath(f['path']);
      const size = typeof f['size'] === 'number' ? f['size'] : 0;
      return { path: p, uploadMode: uploadMode(p, size), shouldIgnore: false };
    });
    sendJson(res, 200, { files });
  }

  private async commit(
    id: string,
    dir: string,
    text: string,
    res: ServerResponse,
    base: string,
  ): Promise<void> {
    const plan = parseCommit(text);
    const before = await snapshotRepo(id, dir);
    if (plan.header.parentCommit !== undefined && plan.header.parentCommit !== before.sha) {
      throw new HttpError(
        412,
        `the parent commit ${plan.header.parentCommit} is not the head of main (${before.sha})`,
      );
    }
    await validateCommit(plan, dir, this.store);
    await applyCommit(plan, dir, this.store);
    const sha = (await snapshotRepo(id, dir)).sha;
    sendJson(res, 200, {
      success: true,
      commitOid: sha,
      commitUrl: `${base}/${id}/commit/${sha}`,
      hookOutput: '',
    });
  }

  private async serially(id: string, run: () => Promise<void>): Promise<void> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(run);
    this.locks.set(id, next);
    try {
      await next;
    } finally {
      if (this.locks.get(id) === next) this.locks.delete(id);
    }
  }
}
