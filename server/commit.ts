/**
 * The Hub's commit endpoint for an uploaded repo: an NDJSON body, a header line then one line
 * per operation (`file` with base64 content, `lfsFile` naming a stored LFS object, `deletedFile`,
 * `deletedFolder`), applied in order. The whole commit is checked first (every path safe, every
 * LFS object stored with its size, every deleted entry present, no file where a folder must go)
 * so a bad commit writes nothing; then each file is written under a hidden temp name in its
 * folder and renamed into place, so a reader (the served side lists no hidden files) never sees
 * half a file. There is no git history: the repo's commit sha is derived from its files
 * (model-folders.ts), as for every served folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, realpath, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HttpError } from './http-util.ts';
import { isOid, type LfsStore } from './lfs-store.ts';
import { checkRepoPath, resolveInside } from './upload-paths.ts';

export interface CommitHeader {
  readonly summary: string;
  readonly parentCommit?: string;
}

export type CommitOp =
  | { readonly kind: 'write'; readonly path: string; readonly bytes: Buffer }
  | { readonly kind: 'lfs'; readonly path: string; readonly oid: string; readonly size: number }
  | { readonly kind: 'delete-file' | 'delete-folder'; readonly path: string };

export interface CommitPlan {
  readonly header: CommitHeader;
  readonly ops: readonly CommitOp[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const bad = (message: string): HttpError => new HttpError(400, message);

/** Parses and checks the form of an NDJSON commit body (400 on the first fault found). */
export function parseCommit(text: string): CommitPlan {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const entries = lines.map((line, i) => {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      throw bad(`commit line ${i + 1} is not JSON`);
    }
    const value = (entry as { value?: unknown } | null)?.value;
    if (typeof entry !== 'object' || typeof value !== 'object' || value === null) {
      throw bad(`commit line ${i + 1} is not {"key": ..., "value": {...}}`);
    }
    return entry as { key?: unknown; value: Record<string, unknown> };
  });
  const first = entries.shift();
  if (first?.key !== 'header' || typeof first.value['summary'] !== 'string') {
    throw bad('a commit starts with {"key":"header","value":{"summary":...}}');
  }
  const parent = first.value['parentCommit'];
  const header: CommitHeader = {
    summary: first.value['summary'],
    ...(typeof parent === 'string' && { parentCommit: parent }),
  };
  return { header, ops: entries.map(parseOp) };
}

function parseOp(entry: { key?: unknown; value: Record<string, unknown> }): CommitOp {
  const v = entry.value;
  const p = checkRepoPath(v['path']);
  switch (entry.key) {
    case 'file': {
      const content = v['content'];
      if (typeof content !== 'string') throw bad(`${JSON.stringify(p)}: a file needs its content`);
      if (v['encoding'] === 'utf-8' || v['encoding'] === 'utf8') {
        return { kind: 'write', path: p, bytes: Buffer.from(content, 'utf8') };
      }
      if (v['encoding'] !== 'base64' || !BASE64.test(content)) {
        throw bad(`${JSON.stringify(p)}: file content must be base64 (encoding "base64")`);
      }
      return { kind: 'write', path: p, bytes: Buffer.from(content, 'base64') };
    }
    case 'lfsFile': {
      const { oid, size, algo } = v;
      const okSize = typeof size === 'number' && Number.isSafeInteger(size) && size >= 0;
      if ((algo !== undefined && algo !== 'sha256') || !isOid(oid) || !okSize) {
        throw bad(`${JSON.stringify(p)}: an LFS file needs algo "sha256", a sha256 oid and a size`);
      }
      return { kind: 'lfs', path: p, oid, size };
    }
    case 'deletedFile':
      return { kind: 'delete-file', path: p };
    case 'deletedFolder':
      return { kind: 'delete-folder', path: p };
    default:
      throw bad(`unknown commit operation ${JSON.stringify(entry.key)}`);
  }
}

/** Every file and folder of the repo (hidden ones too), relative, `/`-separated. */
async function listRepo(dir: string): Promise<{ files: Set<string>; dirs: Set<string> }> {
  const files = new Set<string>();
  const dirs = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        dirs.add(p);
        await walk(p);
      } else files.add(p); // a link counts as a file: it is replaced, never followed
    }
  };
  await walk('');
  return { files, dirs };
}

const parents = (p: string): string[] =>
  p
    .split('/')
    .slice(0, -1)
    .map((_, i, segs) => segs.slice(0, i + 1).join('/'));

/**
 * Checks the commit against the repo as it is (dry run of every operation, in order): 400 for
 * a missing or wrong-size LFS object or a file where a folder must be, 404 for a deleted entry
 * that is not there.
 */
export async function validateCommit(plan: CommitPlan, dir: string, store: LfsStore): Promise<void> {
  const { files, dirs } = await listRepo(dir);
  for (const op of plan.ops) {
    const q = JSON.stringify(op.path);
    if (op.kind === 'lfs' && !(await store.has(op.oid, op.size))) {
      throw bad(`${q}: LFS object ${op.oid} of ${op.size} bytes was not uploaded (or has another size)`);
    }
    if (op.kind === 'write' || op.kind === 'lfs') {
      const clash = parents(op.path).find((d) => files.has(d));
      if (clash !== undefined) throw bad(`${q}: ${JSON.stringify(clash)} is a file, not a folder`);
      if (dirs.has(op.path)) throw bad(`${q} is a folder`);
      files.add(op.path);
      for (const d of parents(op.path)) dirs.add(d);
    } else if (op.kind === 'delete-file') {
      if (!files.delete(op.path)) throw new HttpError(404, `${q}: no such file to delete`, 'EntryNotFound');
    } else {
      if (!dirs.has(op.path)) throw new HttpError(404, `${q}: no such folder to delete`, 'EntryNotFound');
      // Deleting from a Set while iterating over it is well defined: visited entries stay visited.
      const under = (p: string): boolean => p === op.path || p.startsWith(`${op.path}/`);
      for (const f of files) if (under(f)) files.delete(f);
      for (const d of dirs) if (under(d)) dirs.delete(d);
    }
  }
}

/** Throws unless `p` (an existing path) is the repo folder or inside it once links are resolved. */
async function assertInside(dir: string, p: string, shown: string): Promise<void> {
  const [real, realDir] = await Promise.all([realpath(p), realpath(dir)]);
  if (real !== realDir && !real.startsWith(realDir + path.sep)) {
    throw new HttpError(400, `${JSON.stringify(shown)} leads outside the repo`);
  }
}

/**
 * The folder `target` goes in, created when `create`, and checked to be inside the repo once
 * links are resolved: a link planted in the repo folder must not carry a write outside it. The
 * nearest existing ancestor is checked before any folder is made, the folder itself after.
 */
async function parentInside(dir: string, target: string, create: boolean): Promise<string> {
  const parent = path.dirname(target);
  const shown = path.relative(dir, target);
  if (create) {
    let existing = parent;
    while (!(await stat(existing).catch(() => undefined))) existing = path.dirname(existing);
    await assertInside(dir, existing, shown);
    await mkdir(parent, { recursive: true });
  }
  await assertInside(dir, parent, shown);
  return parent;
}

/** Removes folders left empty by a deletion, up to (not including) the repo folder. */
async function pruneEmpty(dir: string, from: string): Promise<void> {
  for (let d = from; d !== dir && d.startsWith(dir + path.sep); d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (or gone): stop
    }
  }
}

/** Applies a validated commit to the repo folder `dir`. */
export async function applyCommit(plan: CommitPlan, dir: string, store: LfsStore): Promise<void> {
  for (const op of plan.ops) {
    const target = resolveInside(dir, op.path);
    if (op.kind === 'write' || op.kind === 'lfs') {
      const parent = await parentInside(dir, target, true);
      const tmp = path.join(parent, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.uploading`);
      try {
        if (op.kind === 'write') await writeFile(tmp, op.bytes, { flag: 'wx' });
        else await store.materialize(op.oid, tmp);
        await rename(tmp, target);
      } finally {
        // Renaming a hard link onto another link of the same file is a no-op that keeps both.
        await rm(tmp, { force: true });
      }
    } else {
      const parent = await parentInside(dir, target, false);
      await rm(target, { recursive: op.kind === 'delete-folder', force: true });
      await pruneEmpty(path.resolve(dir), path.resolve(parent));
    }
  }
}
