/**
 * The local hub's LFS object store: UPLOADS_ROOT/.lfs/objects/<sha256> holds each uploaded
 * object once, whatever repos use it; bodies arrive in UPLOADS_ROOT/.lfs/incoming first (same
 * filesystem, so storing is a rename). Nothing is held in memory: a body is streamed to its temp
 * file and hashed on the way, and an object is stored only once its size and sha256 are those
 * the client declared, so a repo never points to a wrong or half-written object.
 *
 * Stored objects are made read-only: commits hard-link them into repo folders, and an editor
 * writing into such a repo file in place would otherwise change the stored object under every
 * repo that uses it (and under the next upload that finds it "already stored").
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, link, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { HttpError } from './http-util.ts';

export interface Received {
  readonly bytes: number;
  readonly sha256: string;
}

export const isOid = (oid: unknown): oid is string => typeof oid === 'string' && /^[0-9a-f]{64}$/.test(oid);

/** Temp files older than this in `incoming` belong to uploads no server is waiting for. */
const STALE_MS = 24 * 3600 * 1000;

export class LfsStore {
  readonly objects: string;
  readonly incoming: string;

  constructor(uploadsRoot: string) {
    this.objects = path.join(uploadsRoot, '.lfs', 'objects');
    this.incoming = path.join(uploadsRoot, '.lfs', 'incoming');
  }

  /** Creates the folders and removes temp files left by uploads a stopped server abandoned. */
  async init(): Promise<void> {
    await mkdir(this.objects, { recursive: true });
    await mkdir(this.incoming, { recursive: true });
    const now = Date.now();
    for (const name of await readdir(this.incoming)) {
      const p = path.join(this.incoming, name);
      const s = await stat(p).catch(() => undefined);
      if (s && now - s.mtimeMs > STALE_MS) await rm(p, { force: true });
    }
  }

  objectPath(oid: string): string {
    if (!isOid(oid)) throw new HttpError(400, `not a sha256 oid: ${JSON.stringify(oid)}`);
    return path.join(this.objects, oid);
  }

  /** Whether the object is stored, with that size. */
  async has(oid: string, size: number): Promise<boolean> {
    const s = await stat(this.objectPath(oid)).catch(() => undefined);
    return s !== undefined && s.isFile() && s.size === size;
  }

  /**
   * A fresh temp file name in `incoming` (random: concurrent uploads never share one). The
   * folders are made again if someone emptied the uploads folder while the hub runs.
   */
  async tempPath(prefix = 'upload'): Promise<string> {
    await mkdir(this.incoming, { recursive: true });
    await mkdir(this.objects, { recursive: true });
    return path.join(this.incoming, `${prefix}-${randomBytes(12).toString('hex')}.tmp`);
  }

  /**
   * Stores temp file `tmp` as object `oid` when `got` matches the declared size and oid;
   * otherwise deletes it and refuses (400) with what was expected and what came.
   */
  async storeVerified(tmp: string, oid: string, size: number, got: Received): Promise<void> {
    const wrong =
      got.bytes !== size
        ? `expected ${size} bytes, got ${got.bytes}`
        : got.sha256 !== oid
          ? `expected sha256 ${oid}, got ${got.sha256}`
          : undefined;
    if (wrong !== undefined) {
      await rm(tmp, { force: true });
      throw new HttpError(400, `the uploaded object does not match what was declared: ${wrong}`);
    }
    await chmod(tmp, 0o444);
    await rename(tmp, this.objectPath(oid));
  }

  /**
   * Puts object `oid` at `dest` (a temp name the caller renames into place): a hard link, so a
   * multi-gigabyte file is not written twice, or a copy where links fail (another filesystem,
   * one without links), made writable again since it is the repo's own file.
   */
  async materialize(oid: string, dest: string): Promise<void> {
    const src = this.objectPath(oid);
    try {
      await link(src, dest);
    } catch {
      await copyFile(src, dest);
      await chmod(dest, 0o644);
    }
  }
}

/**
 * Streams a request body into the new file `dest`, hashing it. Past `limit` bytes nothing more
 * is written but the body is still read (and counted) to its end, so the client gets the 400
 * that follows instead of a reset connection. The caller deletes `dest` on failure.
 */
export async function receiveBody(req: IncomingMessage, dest: string, limit: number): Promise<Received> {
  const hash = createHash('sha256');
  let bytes = 0;
  const fh = await open(dest, 'wx');
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      bytes += chunk.byteLength;
      if (bytes > limit) continue;
      hash.update(chunk);
      await fh.write(chunk);
    }
  } finally {
    await fh.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Concatenates `parts` (in order) into the new file `dest`, hashing as it goes. */
export async function concatFiles(parts: readonly string[], dest: string): Promise<Received> {
  const hash = createHash('sha256');
  let bytes = 0;
  const fh = await open(dest, 'wx');
  try {
    for (const part of parts) {
      for await (const chunk of createReadStream(part, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        bytes += chunk.byteLength;
        hash.update(chunk);
        await fh.write(chunk);
      }
    }
  } finally {
    await fh.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}
