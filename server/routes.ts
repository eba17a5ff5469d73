/**
 * The Hub's URL scheme, parsed. Repo ids have one segment (`gpt2`, our `tinymix-code`) or two
 * (`org/name`), so `/api/models/a/tree/main` could be repo `a` or repo `a/tree`: we ask which
 * repo exists, two-segment ids first, as the Hub's own router effectively does.
 *
 *   GET  /api/models?search=&author=&limit=         search
 *   GET  /api/models/{repo}[/revision/{rev}]         model info (siblings, sha)
 *   GET  /api/models/{repo}/tree/{rev}[/{path}]      file listing
 *   POST /api/models/{repo}/paths-info/{rev}         info on given paths
 *   GET  /api/whoami-v2                              the token's owner
 *   GET|HEAD /{repo}/resolve/{rev}/{path}            file bytes (Range), also /raw/
 *
 * and the write side (uploads.ts), parsed by `parseWriteRoute` from the URL alone, so that a
 * hub without uploads refuses every write the same way whether or not its repo exists:
 *
 *   POST /api/repos/create                           create a repo
 *   POST /api/models/{repo}/preupload/{rev}          which files go through LFS
 *   POST /api/models/{repo}/commit/{rev}             NDJSON commit
 *   POST /{repo}.git/info/lfs/objects/batch          LFS batch: where to upload objects
 *   PUT  /api/lfs-upload/{key}[/{part}]              an object's (or a part's) bytes
 *   POST /api/lfs-upload/{key}                       complete a multipart upload
 */

export type Route =
  | { readonly kind: 'home' }
  | { readonly kind: 'search' }
  | { readonly kind: 'whoami' }
  | { readonly kind: 'info'; readonly repo: string; readonly rev: string }
  | { readonly kind: 'tree'; readonly repo: string; readonly rev: string; readonly path: string }
  | { readonly kind: 'paths-info'; readonly repo: string; readonly rev: string }
  | { readonly kind: 'file'; readonly repo: string; readonly rev: string; readonly path: string }
  /** A repo-shaped URL whose repo is not served. */
  | { readonly kind: 'no-repo'; readonly repo: string }
  | { readonly kind: 'unknown' };

/** A write endpoint. `repoType` is the Hub's (`model`, `dataset`, ...): only models are hosted. */
export type WriteRoute =
  | { readonly kind: 'create-repo' }
  | {
      readonly kind: 'preupload' | 'commit';
      readonly repoType: string;
      readonly repo: string;
      readonly rev: string;
    }
  | { readonly kind: 'lfs-batch'; readonly repoType: string; readonly repo: string }
  | { readonly kind: 'lfs-upload'; readonly key: string; readonly part?: string };

const REPO_TYPES = new Map([
  ['models', 'model'],
  ['datasets', 'dataset'],
  ['spaces', 'space'],
]);

const LFS_BATCH = ['info', 'lfs', 'objects', 'batch'];

/** The write endpoint a POST or PUT is for, or undefined when it is none. */
export function parseWriteRoute(method: string, pathname: string): WriteRoute | undefined {
  const parts = segments(pathname);
  if (!parts || (method !== 'POST' && method !== 'PUT')) return undefined;
  const n = parts.length;
  if (parts[0] === 'api' && parts[1] === 'lfs-upload' && (n === 3 || n === 4)) {
    return { kind: 'lfs-upload', key: parts[2]!, ...(n === 4 && { part: parts[3]! }) };
  }
  if (method !== 'POST') return undefined;
  if (parts[0] === 'api' && parts[1] === 'repos' && parts[2] === 'create' && n === 3) {
    return { kind: 'create-repo' };
  }
  const action = parts[n - 2];
  const type = REPO_TYPES.get(parts[1] ?? '');
  if (parts[0] === 'api' && type && (n === 5 || n === 6) && (action === 'preupload' || action === 'commit')) {
    return { kind: action, repoType: type, repo: parts.slice(2, n - 2).join('/'), rev: parts[n - 1]! };
  }
  const gitDir = parts[n - 5];
  if (n >= 5 && gitDir?.endsWith('.git') && parts.slice(n - 4).every((p, i) => p === LFS_BATCH[i])) {
    const prefix = [...parts.slice(0, n - 5), gitDir.slice(0, -'.git'.length)];
    // Models have no prefix in git URLs (`/org/name.git`), other types do (`/datasets/org/name.git`).
    const prefixType = prefix[0] === 'models' ? undefined : REPO_TYPES.get(prefix[0]!);
    const repoType = prefixType && prefix.length > 1 ? prefixType : 'model';
    const repo = (repoType === 'model' ? prefix : prefix.slice(1)).join('/');
    return { kind: 'lfs-batch', repoType, repo };
  }
  return undefined;
}

function segments(pathname: string): string[] | undefined {
  try {
    const parts = pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    return parts.some((p) => p === '..' || p === '.' || p.includes('\0')) ? undefined : parts;
  } catch {
    return undefined;
  }
}

/** Splits `rest` into a served repo id and what follows it. */
async function splitRepo(
  rest: readonly string[],
  exists: (id: string) => Promise<boolean>,
): Promise<{ repo: string; tail: string[] } | { missing: string }> {
  if (rest.length >= 2 && (await exists(`${rest[0]}/${rest[1]}`))) {
    return { repo: `${rest[0]}/${rest[1]}`, tail: rest.slice(2) };
  }
  if (rest.length >= 1 && (await exists(rest[0]!))) return { repo: rest[0]!, tail: rest.slice(1) };
  return { missing: rest.length >= 2 && !KEYWORDS.has(rest[1]!) ? `${rest[0]}/${rest[1]}` : (rest[0] ?? '') };
}

const KEYWORDS = new Set(['revision', 'tree', 'paths-info', 'resolve', 'raw']);

export async function parseRoute(
  method: string,
  pathname: string,
  exists: (id: string) => Promise<boolean>,
): Promise<Route> {
  const parts = segments(pathname);
  if (!parts) return { kind: 'unknown' };
  if (parts.length === 0) return { kind: 'home' };
  if (parts[0] === 'api') {
    if (parts[1] === 'whoami-v2' && parts.length === 2) return { kind: 'whoami' };
    if (parts[1] !== 'models') return { kind: 'unknown' };
    if (parts.length === 2) return { kind: 'search' };
    const split = await splitRepo(parts.slice(2), exists);
    if ('missing' in split) return { kind: 'no-repo', repo: split.missing };
    const { repo, tail } = split;
    if (tail.length === 0) return { kind: 'info', repo, rev: 'main' };
    const [action, rev, ...rest] = tail;
    if (rev === undefined) return { kind: 'unknown' };
    if (action === 'revision' && rest.length === 0) return { kind: 'info', repo, rev };
    if (action === 'tree') return { kind: 'tree', repo, rev, path: rest.join('/') };
    if (action === 'paths-info' && method === 'POST') return { kind: 'paths-info', repo, rev };
    return { kind: 'unknown' };
  }
  const split = await splitRepo(parts, exists);
  if ('missing' in split) {
    return parts.includes('resolve') || parts.includes('raw')
      ? { kind: 'no-repo', repo: split.missing }
      : { kind: 'unknown' };
  }
  const [action, rev, ...rest] = split.tail;
  if (
    (action === 'resolve' || action === 'raw') &&
    rev !== undefined &&
    rest.length > 0 &&
    method !== 'POST'
  ) {
    return { kind: 'file', repo: split.repo, rev, path: rest.join('/') };
  }
  return { kind: 'unknown' };
}
