import { cp, mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../../scripts/lib/golden.ts';
import { startHubServer, type HubServerOptions, type RequestLogEntry } from '../../../server/hub-server.ts';
import { SourceError } from '../source.ts';
import { HubNotFoundError, HubReadError, MERGE_READ_ADVICE } from './errors.ts';
import { hubResolver, type HubResolverOptions } from './hub-resolver.ts';
import { searchModels } from './search-models.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'hub-resolver-'));
const servers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(tmp, { recursive: true, force: true });
});

async function hub(opts: Partial<HubServerOptions> = {}, resolver: Partial<HubResolverOptions> = {}) {
  const log: RequestLogEntry[] = [];
  const server = await startHubServer({ root: MODELS_DIR, onRequest: (e) => log.push(e), ...opts });
  servers.push(server);
  const lines: string[] = [];
  const resolve = hubResolver({
    hubUrl: server.url,
    retry: { baseMs: 1, attempts: 3 },
    onLog: (l) => lines.push(l),
    ...resolver,
  });
  return { server, resolve, log, lines };
}

/** Fails the one range read the test makes; everything else goes through. */
const failing: typeof fetch = (input, init) =>
  new Headers(init?.headers).get('Range') === 'bytes=100-149'
    ? Promise.resolve(new Response('', { status: 503 }))
    : fetch(input, init);
/** The message of the one failing read through a resolver with these options. */
async function failedRead(resolver: Partial<HubResolverOptions>): Promise<string> {
  const { resolve } = await hub({}, { fetch: failing, ...resolver });
  const w = await (await resolve('tinymix-code')).open('model.safetensors');
  return ((await w.read(100, 50).catch((e: unknown) => e)) as Error).message;
}
const local = (model: string, file: string): Promise<Buffer> => readFile(path.join(MODELS_DIR, model, file));

describe('hubResolver against the local hub', () => {
  it('pins the commit and reads every file at that sha', async () => {
    const { resolve, log } = await hub();
    const src = await resolve('tinymix-code');
    expect(src.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(await src.listFiles()).toEqual([
      'README.md',
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(
      Buffer.from((await src.readFile('config.json'))!).equals(await local('tinymix-code', 'config.json')),
    ).toBe(true);
    const weights = await src.open('model.safetensors');
    expect(weights.size).toBe(1_614_112);
    const bytes = await weights.read(1000, 4096);
    expect(
      Buffer.from(bytes).equals((await local('tinymix-code', 'model.safetensors')).subarray(1000, 5096)),
    ).toBe(true);
    // The first request resolves main to the sha; all later ones name the sha.
    expect(log[0]!.path).toMatch(/^\/api\/models\/tinymix-code\/revision\/main\?/);
    expect(log.slice(1).every((e) => e.path.includes(src.revision!))).toBe(true);
    expect(resolve.stats.requests).toBe(log.length);
  });

  it('answers a missing file with undefined (no request) and refuses reads past the end', async () => {
    const { resolve, log } = await hub();
    const src = await resolve('tinymix-code');
    await src.listFiles();
    const before = log.length;
    expect(await src.readFile('tokenizer.model')).toBeUndefined();
    expect(log.length).toBe(before);
    await expect(src.open('nope.safetensors')).rejects.toThrow(SourceError);
    const w = await src.open('model.safetensors');
    await expect(w.read(1_614_100, 100)).rejects.toThrow(/past the end \(1614112 bytes\)/);
  });

  it('reads org/name ids and name@sha, and names a missing repo or revision', async () => {
    const root = path.join(tmp, 'orgs');
    await cp(path.join(MODELS_DIR, 'tinymix-law'), path.join(root, 'acme', 'law'), { recursive: true });
    const { resolve } = await hub({ root });
    const src = await resolve('acme/law');
    expect((await src.open('model.safetensors')).size).toBe(1_614_072);
    const pinned = await resolve(`acme/law@${src.revision}`);
    expect(pinned.revision).toBe(src.revision);
    await expect(resolve('acme/nope')).rejects.toThrow(
      new HubNotFoundError(`acme/nope was not found on ${resolve.hubUrl}: check the repo id (org/name)`),
    );
    await expect(resolve('acme/law@v2')).rejects.toThrow(/acme\/law@v2: that revision is not on/);
    await expect(resolve('a/b/c')).rejects.toThrow(/not a Hub model id/);
  });

  it('never mixes versions: a repo changed after pinning fails instead of serving new bytes', async () => {
    const root = path.join(tmp, 'changing');
    await cp(path.join(MODELS_DIR, 'tinymix-code'), path.join(root, 'm'), { recursive: true });
    const { resolve } = await hub({ root });
    const src = await resolve('m');
    const w = await src.open('model.safetensors');
    await w.read(0, 8);
    await utimes(path.join(root, 'm', 'model.safetensors'), new Date(), new Date(Date.now() + 5000));
    await expect(w.read(8, 8)).rejects.toThrow(
      /that revision is not on .* the repo changed while it was read/,
    );
  });

  it('retries dropped connections and short bodies, and logs each retry', async () => {
    for (const mode of ['cut', 'short'] as const) {
      const { resolve, lines, server } = await hub({ truncateEvery: 2, truncateMode: mode });
      const src = await resolve('tinymix-base');
      const w = await src.open('model.safetensors');
      const file = await local('tinymix-base', 'model.safetensors');
      // Downloads 1 and 2 (2 is cut, then tried again as 3).
      for (const start of [0, 100_000]) {
        const bytes = await w.read(start, 100_000);
        expect(Buffer.from(bytes).equals(file.subarray(start, start + 100_000))).toBe(true);
      }
      expect(server.counters.truncated).toBeGreaterThan(0);
      expect(resolve.stats.retries).toBe(server.counters.truncated);
      expect(
        lines.some((l) => l.startsWith('hub: tinymix-base/model.safetensors bytes 100000-199999: ')),
      ).toBe(true);
    }
  });

  it('fails after the last try with the model, file and byte range', async () => {
    const { resolve } = await hub({}, { fetch: failing });
    const w = await (await resolve('tinymix-code')).open('model.safetensors');
    const err = await w.read(100, 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubReadError);
    expect((err as Error).message).toMatch(
      /^tinymix-code\/model.safetensors bytes 100-149: failed after 3 tries \(HTTP 503\)/,
    );
  });

  it('a merge’s resolver advises running the merge again; others just to try again', async () => {
    expect(await failedRead({})).toMatch(/then try again$/);
    expect(await failedRead({ readAdvice: MERGE_READ_ADVICE })).toMatch(
      /then run the merge again \(finished shards are kept\)$/,
    );
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const counting: typeof fetch = async (input, init) => {
      most = Math.max(most, ++inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const { resolve } = await hub({ delayMs: 20 }, { fetch: counting, concurrency: 2 });
    const ids = ['tinymix-base', 'tinymix-code', 'tinymix-law', 'tinymix-math', 'tinymix-code-b'];
    await Promise.all(ids.map(async (id) => (await resolve(id)).listFiles()));
    expect(most).toBe(2);
  });
});

describe('searchModels', () => {
  it('finds models on the local hub by part of their id', async () => {
    const { server } = await hub({ failEvery: 2 });
    const found = await searchModels('code', { hubUrl: server.url, retry: { baseMs: 1 } });
    expect(found.map((m) => m.id)).toEqual(['tinymix-code', 'tinymix-code-b', 'tinymix-code-c']);
    expect(found[0]).toMatchObject({ downloads: 0, likes: 0, gated: false, private: false });
    expect(await searchModels('code', { hubUrl: server.url, limit: 1 })).toHaveLength(1);
  });
});
