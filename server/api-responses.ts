/**
 * The Hub API's JSON answers for served folders: model entries (search and info), the tree
 * listing and paths-info. Field names follow the Hub (`_id`, `id`, `sha`, `siblings` with
 * `rfilename`, `lastModified`, tree entries with `oid` and `lfs`), since @huggingface/hub maps
 * them to its own types. Every field is always sent, whatever `expand=` asks: a superset is
 * what the client library expects from the real Hub too.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RepoFile, RepoSnapshot } from './model-folders.ts';
import { safetensorsSummary } from './safetensors-summary.ts';

/** Files at least this big are reported as LFS files, as the Hub stores them (its threshold is 10 MB). */
const LFS_MIN = 10 * 1024 * 1024;

async function configSummary(repo: RepoSnapshot): Promise<Record<string, unknown> | undefined> {
  if (!repo.files.some((f) => f.path === 'config.json')) return undefined;
  try {
    const c = JSON.parse(await readFile(path.join(repo.dir, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    return {
      ...(c['architectures'] !== undefined && { architectures: c['architectures'] }),
      ...(c['model_type'] !== undefined && { model_type: c['model_type'] }),
    };
  } catch {
    return undefined;
  }
}

export async function modelJson(repo: RepoSnapshot, gated: boolean): Promise<Record<string, unknown>> {
  const author = repo.id.includes('/') ? repo.id.split('/')[0] : undefined;
  const config = await configSummary(repo);
  const safetensors = await safetensorsSummary(repo);
  return {
    // The Hub's _id is a database id, stable across commits: a hash of the repo id here.
    _id: createHash('sha1').update(repo.id).digest('hex').slice(0, 24),
    id: repo.id,
    modelId: repo.id,
    ...(author !== undefined && { author }),
    sha: repo.sha,
    private: false,
    gated: gated ? 'manual' : false,
    disabled: false,
    downloads: 0,
    likes: 0,
    lastModified: repo.lastModified.toISOString(),
    createdAt: repo.lastModified.toISOString(),
    pipeline_tag: 'text-generation',
    library_name: 'transformers',
    // The Hub tags a repo by its weight formats.
    tags: [
      'transformers',
      ...(safetensors ? ['safetensors'] : []),
      ...(repo.files.some((f) => f.path.endsWith('.bin')) ? ['pytorch'] : []),
      'local',
    ],
    ...(config && { config }),
    ...(safetensors && { safetensors }),
    siblings: repo.files.map((f) => ({ rfilename: f.path, size: f.size })),
  };
}

export function treeEntry(f: RepoFile): Record<string, unknown> {
  return {
    type: 'file',
    oid: f.etag,
    size: f.size,
    path: f.path,
    ...(f.size >= LFS_MIN && { lfs: { oid: f.etag, size: f.size, pointerSize: 134 } }),
  };
}

/** The listing of folder `dir` ('' for the root): direct children, or everything below when recursive. */
export function treeListing(
  repo: RepoSnapshot,
  dir: string,
  recursive: boolean,
): Record<string, unknown>[] | undefined {
  if (dir !== '' && !repo.dirs.includes(dir)) return undefined;
  const prefix = dir === '' ? '' : `${dir}/`;
  const inside = (p: string): boolean =>
    p.startsWith(prefix) && (recursive || !p.slice(prefix.length).includes('/'));
  const dirs = repo.dirs.filter(inside).map((d) => ({ type: 'directory', oid: repo.sha, size: 0, path: d }));
  const files = repo.files.filter((f) => inside(f.path)).map(treeEntry);
  return [...dirs, ...files];
}

export function pathsInfo(repo: RepoSnapshot, paths: readonly string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const p of paths) {
    const f = repo.files.find((x) => x.path === p);
    if (f) out.push(treeEntry(f));
    else if (repo.dirs.includes(p)) out.push({ type: 'directory', oid: repo.sha, size: 0, path: p });
  }
  return out;
}

/** `search` matches anywhere in the id, `author` is the org, as on the Hub. */
export function matchesSearch(id: string, params: URLSearchParams): boolean {
  const q = params.get('search')?.toLowerCase();
  const author = params.get('author');
  if (q && !id.toLowerCase().includes(q)) return false;
  if (author && !id.startsWith(`${author}/`)) return false;
  return true;
}
