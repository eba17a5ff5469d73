/**
 * LFS transfers as the Hub does them for @huggingface/hub (commit.ts, `useXet: false`): the
 * batch endpoint answers, per object, either nothing to do (already stored) or where to PUT the
 * bytes. Those URLs are like S3's signed URLs: the client sends them no Authorization header,
 * so each carries an unguessable key that this server issued to an authorized batch request.
 *
 *  - basic: `actions.upload.href` takes one PUT of the whole object; its key works once.
 *  - multipart (objects over `chunkBytes`, when the client lists "multipart"): the Hub's own
 *    form, `header = {chunk_size, "00001": url, "00002": url, ...}` and `href` a completion URL.
 *    Each part PUT answers with an ETag; the client POSTs `{oid, parts: [{partNumber, etag}]}`
 *    to complete, and the object is assembled and verified. Part URLs and the completion URL
 *    work until the object is complete (a failed part may be sent again).
 *
 * Keys live in memory: a restarted server forgets them, and the client asks the batch again.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { HttpError, objectList, readJson, sendJson } from './http-util.ts';
import { concatFiles, isOid, receiveBody, type LfsStore } from './lfs-store.ts';

interface PendingUpload {
  readonly oid: string;
  readonly size: number;
  /** Part size of a multipart upload; undefined for a single PUT. */
  readonly chunk?: number;
  readonly parts: number;
  /** Part number -> ETag (unquoted) of the part stored for it. */
  readonly etags: Map<number, string>;
  readonly expiresAt: number;
  completing: boolean;
}

const KEY_TTL_S = 24 * 3600;
/** S3's limit, which the Hub's multipart form follows: bigger objects get bigger parts. */
const MAX_PARTS = 10_000;
const LFS_JSON = 'application/vnd.git-lfs+json';

const unquote = (etag: unknown): string =>
  typeof etag === 'string' ? etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '') : '';

export class LfsTransfers {
  private readonly pending = new Map<string, PendingUpload>();

  constructor(
    private readonly store: LfsStore,
    private readonly chunkBytes: number,
  ) {}

  /** The batch endpoint's answer for an authorized request to a writable repo. */
  async batch(req: IncomingMessage, res: ServerResponse, base: string): Promise<void> {
    const body = await readJson(req, 16_000_000);
    if (body['operation'] !== 'upload') {
      throw new HttpError(400, 'the local hub answers LFS batch requests for "upload" only');
    }
    const list = objectList(body['objects'], 'the LFS batch request objects');
    const transfers = body['transfers'];
    const multipart = Array.isArray(transfers) && transfers.includes('multipart');
    this.prune();
    const objects: Record<string, unknown>[] = [];
    for (const o of list) {
      const { oid, size } = o;
      if (!isOid(oid) || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        objects.push({ oid, size, error: { code: 422, message: 'an object needs a sha256 oid and a size' } });
      } else if (await this.store.has(oid, size)) {
        objects.push({ oid, size }); // already stored: no actions, nothing to send
      } else {
        objects.push({
          oid,
          size,
          authenticated: true,
          actions: { upload: this.issue(oid, size, multipart, base) },
        });
      }
    }
    const text = JSON.stringify({ transfer: 'basic', objects });
    res.writeHead(200, { 'Content-Type': LFS_JSON, 'Content-Length': Buffer.byteLength(text) }).end(text);
  }

  private issue(oid: string, size: number, multipart: boolean, base: string): Record<string, unknown> {
    const key = randomBytes(24).toString('base64url');
    const href = `${base}/api/lfs-upload/${key}`;
    const expiresAt = Date.now() + KEY_TTL_S * 1000;
    if (!multipart || size <= this.chunkBytes) {
      this.pending.set(key, { oid, size, parts: 1, etags: new Map(), expiresAt, completing: false });
      return { href, expires_in: KEY_TTL_S };
    }
    const chunk = Math.max(this.chunkBytes, Math.ceil(size / MAX_PARTS));
    const parts = Math.ceil(size / chunk);
    this.pending.set(key, { oid, size, chunk, parts, etags: new Map(), expiresAt, completing: false });
    const header: Record<string, string> = { chunk_size: String(chunk) };
    for (let n = 1; n <= parts; n++) header[String(n).padStart(5, '0')] = `${href}/${n}`;
    return { href, header, expires_in: KEY_TTL_S };
  }

  /** Forgets expired keys and deletes the parts their abandoned uploads left. */
  private prune(): void {
    const now = Date.now();
    for (const [key, p] of this.pending) {
      if (p.expiresAt > now) continue;
      this.pending.delete(key);
      for (const [n, etag] of p.etags) void rm(this.partPath(key, n, etag), { force: true });
    }
  }

  private partPath(key: string, n: number, etag: string): string {
    return path.join(this.store.incoming, `part-${key}-${n}-${etag}`);
  }

  private lookup(key: string): PendingUpload {
    const p = this.pending.get(key);
    if (!p || p.expiresAt <= Date.now()) {
      throw new HttpError(404, 'unknown or used upload URL: ask the LFS batch endpoint for a new one');
    }
    return p;
  }

  /** PUT on an upload URL: a whole object (basic) or one part of a multipart upload. */
  async put(req: IncomingMessage, res: ServerResponse, key: string, part: string | undefined): Promise<void> {
    const p = this.lookup(key);
    if ((p.chunk === undefined) !== (part === undefined)) throw new HttpError(404, 'not an upload URL');
    if (p.chunk === undefined) {
      this.pending.delete(key); // a single PUT's key works once, whatever comes of it
      return this.receiveObject(req, res, p);
    }
    const n = /^\d{1,5}$/.test(part ?? '') ? Number(part) : 0;
    if (n < 1 || n > p.parts) {
      throw new HttpError(404, `no part ${part} in this upload (it has ${p.parts})`);
    }
    const expected = n < p.parts ? p.chunk : p.size - p.chunk * (p.parts - 1);
    refuseLongBody(req, expected);
    const tmp = await this.store.tempPath('part');
    try {
      const got = await receiveBody(req, tmp, expected);
      if (got.bytes !== expected)
        throw new HttpError(400, `part ${n}: expected ${expected} bytes, got ${got.bytes}`);
      const etag = got.sha256.slice(0, 32);
      await rename(tmp, this.partPath(key, n, etag));
      const before = p.etags.get(n);
      p.etags.set(n, etag);
      if (before !== undefined && before !== etag) await rm(this.partPath(key, n, before), { force: true });
      res.writeHead(200, { ETag: `"${etag}"`, 'Content-Length': 0 }).end();
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private async receiveObject(req: IncomingMessage, res: ServerResponse, p: PendingUpload): Promise<void> {
    refuseLongBody(req, p.size);
    const tmp = await this.store.tempPath();
    try {
      await this.store.storeVerified(tmp, p.oid, p.size, await receiveBody(req, tmp, p.size));
      res.writeHead(200, { 'Content-Length': 0 }).end();
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** POST on a multipart upload's href: assemble the parts in order, verify, store. */
  async complete(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    const p = this.lookup(key);
    if (p.chunk === undefined) throw new HttpError(404, 'not a multipart upload URL');
    const body = await readJson(req, 4_000_000);
    if (body['oid'] !== p.oid)
      throw new HttpError(400, `this upload is for object ${p.oid}, not ${String(body['oid'])}`);
    const parts = objectList(body['parts'], 'parts');
    const byNumber = new Map(parts.map((x) => [Number(x.partNumber), unquote(x.etag)]));
    const files: string[] = [];
    for (let n = 1; n <= p.parts; n++) {
      const stored = p.etags.get(n);
      if (stored === undefined) throw new HttpError(400, `part ${n} of ${p.parts} was not uploaded`);
      if (byNumber.get(n) !== stored) throw new HttpError(400, `part ${n}: wrong or missing etag`);
      files.push(this.partPath(key, n, stored));
    }
    if (byNumber.size !== p.parts || parts.length !== p.parts) {
      throw new HttpError(400, `the completion lists ${parts.length} parts; the upload has ${p.parts}`);
    }
    if (p.completing) throw new HttpError(409, 'this upload is being completed already');
    p.completing = true;
    const tmp = await this.store.tempPath();
    try {
      await this.store.storeVerified(tmp, p.oid, p.size, await concatFiles(files, tmp));
      this.pending.delete(key);
      await Promise.all(files.map((f) => rm(f, { force: true })));
      sendJson(res, 200, { oid: p.oid, size: p.size });
    } finally {
      p.completing = false;
      await rm(tmp, { force: true });
    }
  }
}

/**
 * A body announced longer than expected is refused before it is read (Node then reads and drops
 * it, so the client still gets the answer). One without Content-Length is checked as it comes.
 */
function refuseLongBody(req: IncomingMessage, expected: number): void {
  const announced = Number(req.headers['content-length'] ?? NaN);
  if (announced > expected) throw new HttpError(400, `expected ${expected} bytes, got ${announced}`);
}
