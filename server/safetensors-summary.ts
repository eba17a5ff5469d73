/**
 * The `safetensors` field of the Hub's model info: parameter counts per dtype, read from the
 * headers of the repo's weight files (a few KB each). The studio's model picker uses it for a
 * cheap "same size?" check before any header is fetched. Summaries are cached by file ETag.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { RepoSnapshot } from './model-folders.ts';

export interface SafetensorsSummary {
  readonly parameters: Record<string, number>;
  readonly total: number;
}

/** Headers larger than this are not parsed for a summary (the Hub's parser stops at 25 MB too). */
const MAX_HEADER = 25_000_000;

const cache = new Map<string, Record<string, number> | null>();

async function fileCounts(file: string, size: number): Promise<Record<string, number> | null> {
  if (size < 8) return null;
  const fh = await open(file, 'r');
  try {
    const len = Buffer.alloc(8);
    await fh.read(len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    if (n > MAX_HEADER || 8 + n > size) return null;
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, 8);
    const header = JSON.parse(buf.toString('utf8')) as Record<string, { dtype?: unknown; shape?: unknown }>;
    const counts: Record<string, number> = {};
    for (const [name, t] of Object.entries(header)) {
      if (name === '__metadata__' || typeof t.dtype !== 'string' || !Array.isArray(t.shape)) continue;
      const numel = (t.shape as unknown[]).reduce<number>((a, d) => a * Number(d), 1);
      counts[t.dtype] = (counts[t.dtype] ?? 0) + numel;
    }
    return counts;
  } catch {
    return null;
  } finally {
    await fh.close();
  }
}

/** Parameter counts over every *.safetensors file, or undefined when there is none. */
export async function safetensorsSummary(repo: RepoSnapshot): Promise<SafetensorsSummary | undefined> {
  const parameters: Record<string, number> = {};
  let any = false;
  for (const f of repo.files) {
    if (!f.path.endsWith('.safetensors')) continue;
    let counts = cache.get(f.etag);
    if (counts === undefined) {
      counts = await fileCounts(path.join(repo.dir, f.path), f.size);
      cache.set(f.etag, counts);
    }
    if (!counts) continue;
    any = true;
    for (const [d, n] of Object.entries(counts)) parameters[d] = (parameters[d] ?? 0) + n;
  }
  if (!any) return undefined;
  return { parameters, total: Object.values(parameters).reduce((a, b) => a + b, 0) };
}
