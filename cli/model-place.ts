/**
 * Where a recipe's model id points on this machine. mergekit's rule (`ModelReference.local_path`
 * in mergekit/common.py) is: the id, less its `@revision`, is a local path when it exists
 * (`os.path.exists`, so relative to the working directory), else a Hub repo. Ours adds `--models
 * DIR` in front, as it worked before this rule:
 *
 *   1. DIR/<id>, when --models DIR is given and that is a folder;
 *   2. <id> from the working directory (an absolute path as it is), when that is a folder;
 *   3. an id that cannot be a Hub repo (written as a path: /x, ./x, ../x, ~/x; or not org/name):
 *      an error naming the folders looked for, instead of "not a Hub model id";
 *   4. otherwise a Hub repo.
 *
 * So, as in mergekit, a folder shadows a Hub repo of the same name (`org/name` with a folder
 * org/name here), and a folder's `@revision` is ignored (the caller says so in the log). Only
 * folders count: mergekit's check also accepts a file, which then fails to load.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { isHubRepoId } from '../workers/io/hub/repo-ref.ts';

export type ModelPlace =
  | {
      readonly kind: 'folder';
      readonly dir: string;
      /** Found from the working directory (step 2), not in --models DIR. */
      readonly fromCwd: boolean;
      /** The `@revision` a folder cannot honour. */
      readonly ignoredRevision: string | undefined;
    }
  | { readonly kind: 'missing'; readonly message: string }
  | { readonly kind: 'hub'; readonly tried: readonly string[] };

export interface PlaceOptions {
  readonly modelsDir: string | undefined;
  readonly cwd: string;
}

/** Written as a path, so never a Hub id: absolute, `.`, `..`, `~`, or starting with one of those and a slash. */
export function looksLikePath(id: string): boolean {
  return path.isAbsolute(id) || /^(\.{1,2}|~)([/\\]|$)/.test(id);
}

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function placeModel(id: string, { modelsDir, cwd }: PlaceOptions): ModelPlace {
  const tried: string[] = [];
  if (modelsDir !== undefined) {
    const dir = path.resolve(modelsDir, id);
    if (isFolder(dir)) return { kind: 'folder', dir, fromCwd: false, ignoredRevision: undefined };
    tried.push(dir);
  }
  const at = id.indexOf('@');
  const local = at < 0 ? id : id.slice(0, at);
  if (local === '') return { kind: 'hub', tried }; // the hub reader explains an empty name
  const dir = path.resolve(cwd, local);
  if (isFolder(dir)) {
    return { kind: 'folder', dir, fromCwd: true, ignoredRevision: at < 0 ? undefined : id.slice(at + 1) };
  }
  if (!tried.includes(dir)) tried.push(dir);
  const where = `no folder ${tried.join(' or ')}`;
  if (looksLikePath(local)) {
    const tilde = local.startsWith('~') ? ' (~ is not expanded: write the full path)' : '';
    return { kind: 'missing', message: `model '${id}' not found: ${where}${tilde}` };
  }
  if (!isHubRepoId(id)) {
    return {
      kind: 'missing',
      message: `model '${id}' not found: ${where}, and it is not a Hub model id (org/name or org/name@revision)`,
    };
  }
  return { kind: 'hub', tried };
}
