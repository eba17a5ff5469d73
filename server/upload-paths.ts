/**
 * Which repo-relative paths an upload may write, and which files go through LFS. A path comes
 * from the request body, so it is an attacker's string until checked: relative, `/`-separated,
 * no empty, `.` or `..` segment (nothing may climb out of the repo folder), no backslash (a
 * separator on Windows), no control characters (NUL cuts a path short in C, CR/LF forge log
 * lines), and nothing in `.git` or `.lfs` (git's own folder; the hub's LFS store). Each segment
 * is compared case-insensitively, since macOS and Windows folders are.
 */
import path from 'node:path';
import { HttpError } from './http-util.ts';

const MAX_PATH = 4096;
// oxlint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const RESERVED = new Set(['.git', '.lfs']);

/** Why `p` may not be written in a repo, or undefined when it may. */
export function unsafePathReason(p: unknown): string | undefined {
  if (typeof p !== 'string') return 'a path must be a string';
  if (p === '') return 'the path is empty';
  if (p.length > MAX_PATH) return 'the path is too long';
  if (CONTROL.test(p)) return 'the path has control characters';
  if (p.includes('\\')) return 'the path has a backslash (separate folders with /)';
  if (p.startsWith('/')) return 'the path must be relative to the repo';
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') return 'the path has an empty, . or .. segment';
    if (RESERVED.has(seg.toLowerCase())) return `nothing may be written in ${seg}`;
  }
  return undefined;
}

/** `p` as a checked repo path; 400 naming it (JSON-quoted, so no raw control bytes) otherwise. */
export function checkRepoPath(p: unknown): string {
  const why = unsafePathReason(p);
  if (why !== undefined) throw new HttpError(400, `invalid path ${JSON.stringify(p)}: ${why}`);
  return p as string;
}

/**
 * The file `rel` inside `dir`, asserting the result stays inside (a second line of defence:
 * checkRepoPath has already refused anything that could climb out).
 */
export function resolveInside(dir: string, rel: string): string {
  const target = path.resolve(dir, ...rel.split('/'));
  const back = path.relative(path.resolve(dir), target);
  if (back === '' || back.startsWith('..') || path.isAbsolute(back)) {
    throw new HttpError(400, `invalid path ${JSON.stringify(rel)}: outside the repo`);
  }
  return target;
}

/** Weights and other binaries go through LFS whatever their size, as the Hub's .gitattributes says. */
const LFS_EXTENSIONS = /\.(safetensors|bin|pt|pth|ckpt|gguf|model)$/i;

/** Files over 10 MB go through LFS too, as on the Hub. */
export const LFS_MIN_SIZE = 10 * 1000 * 1000;

export function uploadMode(p: string, size: number): 'lfs' | 'regular' {
  return LFS_EXTENSIONS.test(p) || size > LFS_MIN_SIZE ? 'lfs' : 'regular';
}
