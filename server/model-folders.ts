/**
 * Which folders the local hub serves, and under which repo ids. A served folder ROOT holds
 * model folders: ROOT/NAME (a folder with config.json, adapter_config.json or weights) is the repo
 * `NAME`, like the Hub's unprefixed legacy repos (`gpt2`), so recipes that name bare models
 * (`tinymix-code`) run unchanged; ROOT/ORG/NAME is the repo `ORG/NAME`. When ROOT is itself a
 * model folder, it is served alone under its folder name.
 *
 * The Hub pins content by commit: we derive a commit sha from every file's path, size and
 * modification time, so any change to a folder gives it a new sha, and a reader pinned to the
 * old sha is told the revision is gone instead of getting bytes of two versions. File ETags
 * are derived the same way (hashing content would read every gigabyte of a big model first).
 *
 * A hub that accepts uploads has a second folder, the uploads root: there every ROOT/ORG/NAME
 * folder is a repo, even an empty one (createRepo makes the folder before anything is
 * committed to it). Its hidden entries (`.lfs`, the LFS store) are never repos, since a repo id
 * segment starts with a letter or digit. On a name clash the served root's repo wins.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface RepoFile {
  /** Relative to the repo folder, with `/` separators. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** 40 hex digits, quoted in headers. */
  readonly etag: string;
}

export interface RepoSnapshot {
  readonly id: string;
  readonly dir: string;
  readonly files: readonly RepoFile[];
  /** Sub-folders (relative paths), for the tree listing. */
  readonly dirs: readonly string[];
  readonly sha: string;
  readonly lastModified: Date;
}

/** A repo id segment: what the Hub allows, and never `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9][\w.-]*$/;

export function isValidRepoId(id: string): boolean {
  const parts = id.split('/');
  return parts.length >= 1 && parts.length <= 2 && parts.every((p) => SEGMENT.test(p) && !p.includes('..'));
}

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

async function isModelFolder(dir: string): Promise<boolean> {
  try {
    const names = await readdir(dir);
    return names.some(
      (n) => n === 'config.json' || n === 'adapter_config.json' || /\.(safetensors|bin)$/.test(n),
    );
  } catch {
    return false;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** The repos under `root`: id -> folder. */
export async function findRepos(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (await isModelFolder(root)) {
    const id = path.basename(path.resolve(root));
    if (isValidRepoId(id)) out.set(id, root);
    return out;
  }
  const entries = await readdir(root, { withFileTypes: true });
  for (const e of entries) {
    if (!e.isDirectory() || !isValidRepoId(e.name)) continue;
    const dir = path.join(root, e.name);
    if (await isModelFolder(dir)) {
      out.set(e.name, dir);
      continue;
    }
    for (const sub of await readdir(dir, { withFileTypes: true })) {
      const id = `${e.name}/${sub.name}`;
      if (sub.isDirectory() && isValidRepoId(id) && (await isModelFolder(path.join(dir, sub.name)))) {
        out.set(id, path.join(dir, sub.name));
      }
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The folder of repo `id`, or undefined when it is not served. */
export async function repoFolder(root: string, id: string): Promise<string | undefined> {
  if (!isValidRepoId(id)) return undefined;
  if (await isModelFolder(root)) return id === path.basename(path.resolve(root)) ? root : undefined;
  const dir = path.join(root, ...id.split('/'));
  if (!(await isDir(dir)) || !(await isModelFolder(dir))) return undefined;
  // ROOT/ORG is a repo itself: then ROOT/ORG/NAME is one of its sub-folders, not a repo.
  if (id.includes('/') && (await isModelFolder(path.join(root, id.split('/')[0]!)))) return undefined;
  return dir;
}

/** The repos under an uploads root: every ORG/NAME folder, empty ones included. */
export async function findUploadedRepos(uploadsRoot: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const org of await readdir(uploadsRoot, { withFileTypes: true })) {
    if (!org.isDirectory() || !isValidRepoId(org.name)) continue;
    for (const sub of await readdir(path.join(uploadsRoot, org.name), { withFileTypes: true })) {
      const id = `${org.name}/${sub.name}`;
      if (sub.isDirectory() && isValidRepoId(id)) out.set(id, path.join(uploadsRoot, org.name, sub.name));
    }
  }
  return out;
}

/** The folder of uploaded repo `id` (ORG/NAME only), or undefined when there is none. */
export async function uploadedRepoFolder(uploadsRoot: string, id: string): Promise<string | undefined> {
  if (!isValidRepoId(id) || !id.includes('/')) return undefined;
  const dir = path.join(uploadsRoot, ...id.split('/'));
  return (await isDir(dir)) ? dir : undefined;
}

/** Every served repo: the root's, then the uploads root's that do not clash with them, by id. */
export async function findServedRepos(root: string, uploadsRoot?: string): Promise<Map<string, string>> {
  const out = await findRepos(root);
  if (uploadsRoot === undefined) return out;
  for (const [id, dir] of await findUploadedRepos(uploadsRoot)) if (!out.has(id)) out.set(id, dir);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface ServedRepo {
  readonly dir: string;
  /** True for a repo in the uploads root (writable), false for one in the served root. */
  readonly uploaded: boolean;
}

/** Where repo `id` is served from (the served root first), or undefined when it is not. */
export async function servedRepo(
  root: string,
  uploadsRoot: string | undefined,
  id: string,
): Promise<ServedRepo | undefined> {
  const dir = await repoFolder(root, id);
  if (dir !== undefined) return { dir, uploaded: false };
  const up = uploadsRoot === undefined ? undefined : await uploadedRepoFolder(uploadsRoot, id);
  return up === undefined ? undefined : { dir: up, uploaded: true };
}

/** The repo's files and commit sha as they are now. Hidden files (`.git`, ...) are not served. */
export async function snapshotRepo(id: string, dir: string): Promise<RepoSnapshot> {
  const files: RepoFile[] = [];
  const dirs: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        dirs.push(p);
        await walk(p);
      } else if (e.isFile()) {
        const s = await stat(path.join(dir, p));
        files.push({
          path: p,
          size: s.size,
          mtimeMs: s.mtimeMs,
          etag: sha1(`${p}\0${s.size}\0${s.mtimeMs}`),
        });
      }
    }
  };
  await walk('');
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  dirs.sort();
  const sha = sha1(files.map((f) => `${f.path}\0${f.size}\0${f.mtimeMs}`).join('\n'));
  const last = files.reduce((m, f) => Math.max(m, f.mtimeMs), 0);
  return { id, dir, files, dirs, sha, lastModified: new Date(last) };
}
