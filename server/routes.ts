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
