/**
 * Files read whole (config.json, the shard index, the donor's tokenizer files) are refused
 * over their cap, by the size the source reports and before a buffer of that size exists: a
 * Hub repo can claim any size.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GOLDEN_DIR, MODELS_DIR } from '../../scripts/lib/golden.ts';
import { startHubServer, type HubServer, type RequestLogEntry } from '../../server/hub-server.ts';
import { runMerge } from '../engine/run-merge.ts';
import { loadRecipe } from '../plan/recipe-yaml.ts';
import { hubResolver } from './hub/hub-resolver.ts';
import { loadModel } from './load-model.ts';
import { blobModelSource, memorySink } from './memory.ts';
import { folderModelSource } from './node/fs-source.ts';
import { FileTooLargeError } from './source.ts';

const servers: HubServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

/** What the injected fetch claims about one file's size. */
interface Lie {
  readonly repo: string;
  readonly file: string;
  readonly size: number;
  /** In the file listing, or in the answer to the file's `bytes=0-0` probe. */
  readonly where: 'listing' | 'probe';
}

/** A resolver on the local hub, through a fetch that reports `lie.size` for one file. */
async function lyingHub(lie: Lie) {
  const log: RequestLogEntry[] = [];
  const server = await startHubServer({ root: MODELS_DIR, onRequest: (e) => log.push(e) });
  servers.push(server);
  const fetchLying: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const resp = await fetch(input, init);
    if (lie.where === 'listing' && url.includes(`/api/models/${lie.repo}/tree/`)) {
      const entries = (await resp.json()) as { path: string; size: number }[];
      for (const e of entries) if (e.path === lie.file) e.size = lie.size;
      return Response.json(entries, { headers: resp.headers });
    }
    if (lie.where === 'probe' && url.includes(`/${lie.repo}/resolve/`) && url.endsWith(`/${lie.file}`)) {
      const headers = new Headers(resp.headers);
      headers.set('Content-Range', `bytes 0-0/${lie.size}`);
      return new Response(resp.body, { status: resp.status, headers });
    }
    return resp;
  };
  const resolve = hubResolver({ hubUrl: server.url, fetch: fetchLying, retry: { baseMs: 1, attempts: 2 } });
  return { resolve, log };
}

describe('files read whole have a size cap', () => {
  it.each(['listing', 'probe'] as const)(
    'refuses a config.json of 5 GB (size from the %s), naming it, without downloading it',
    async (where) => {
      const { resolve, log } = await lyingHub({
        repo: 'tinymix-code',
        file: 'config.json',
        size: 5e9,
        where,
      });
      const err = await loadModel(await resolve('tinymix-code')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FileTooLargeError);
      expect((err as Error).message).toBe(
        'tinymix-code/config.json is 5000 MB, over the 64 MB such a file may have: not reading it',
      );
      const fullReads = log.filter((e) => e.path.endsWith('/config.json') && e.range !== 'bytes=0-0');
      expect(fullReads).toEqual([]);
    },
  );

  it("refuses a donor's tokenizer.json of 600 MB, failing the merge before the output is complete", async () => {
    const { resolve } = await lyingHub({
      repo: 'tinymix-base',
      file: 'tokenizer.json',
      size: 6e8,
      where: 'listing',
    });
    const text = await readFile(path.join(GOLDEN_DIR, 'ties-gradient', 'recipe.yml'), 'utf8');
    const sink = memorySink();
    await expect(runMerge({ recipe: loadRecipe(text).recipe, resolve, sink })).rejects.toThrow(
      /^tinymix-base\/tokenizer\.json is 600 MB, over the 512 MB/,
    );
    expect(sink.files.has('config.json')).toBe(false);
  });

  it('applies the cap given to memory and folder sources too', async () => {
    const mem = blobModelSource('m', new Map([['config.json', new Uint8Array(100)]]));
    await expect(mem.readFile('config.json', undefined, 99)).rejects.toThrow(FileTooLargeError);
    expect((await mem.readFile('config.json', undefined, 100))?.byteLength).toBe(100);
    const dir = folderModelSource('tinymix-code', path.join(MODELS_DIR, 'tinymix-code'));
    await expect(dir.readFile('config.json', undefined, 10)).rejects.toThrow(
      /^tinymix-code\/config\.json is 530 bytes, over the 10 bytes/,
    );
    expect(await dir.readFile('nope.json', undefined, 10)).toBeUndefined();
  });
});
