/** The picker's search goes through the hub client: the token reaches the hub's origin only. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordingFetch } from '../../../workers/io/hub/test-helpers.ts';
import { hubSearchQuery } from './hub-search.ts';

const TOKEN = 'hf_secretsecretsecret';

const item = (id: string) => ({
  _id: id,
  id,
  private: false,
  downloads: 7,
  gated: false,
  likes: 1,
  lastModified: '2024-05-01T00:00:00.000Z',
});

const signal = new AbortController().signal;

afterEach(() => vi.unstubAllGlobals());

describe('hubSearchQuery', () => {
  it('sends the token to the hub, not to a next page on another origin, and keeps the order', async () => {
    const rec = recordingFetch((url) =>
      url.startsWith('https://hub.example/')
        ? Response.json([item('org/a')], {
            headers: { Link: '<https://elsewhere.example/api/models?cursor=2>; rel="next"' },
          })
        : Response.json([item('org/b')]),
    );
    vi.stubGlobal('fetch', rec.fetch);
    const q = hubSearchQuery('https://hub.example', TOKEN, 'llama');
    const hits = await q.queryFn({ signal });
    expect(hits.map((h) => h.id)).toEqual(['org/a', 'org/b']);
    expect(hits[0]).toMatchObject({ downloads: 7, gated: false, updatedAt: '2024-05-01T00:00:00.000Z' });
    const [first, next] = rec.requests;
    expect(first!.url).toMatch(/search=llama/);
    expect(first!.url).toMatch(/sort=downloads/);
    expect(first!.headers.get('Authorization')).toBe(`Bearer ${TOKEN}`);
    expect(next!.url).toMatch(/^https:\/\/elsewhere\.example\//);
    expect(next!.headers.get('Authorization')).toBeNull();
  });

  it('refuses to send a token over plain http:// to another machine, before any request', async () => {
    const rec = recordingFetch(() => Response.json([]));
    vi.stubGlobal('fetch', rec.fetch);
    const q = hubSearchQuery('http://hub.example', TOKEN, 'llama');
    await expect(q.queryFn({ signal })).rejects.toThrow(/unencrypted to http:\/\/hub\.example/);
    expect(rec.requests).toEqual([]);
  });

  it('keeps the token out of the query key', () => {
    const key = hubSearchQuery('https://hub.example', TOKEN, 'llama').queryKey;
    expect(JSON.stringify(key)).not.toContain(TOKEN);
    expect(key).toEqual(['hub-search', 'https://hub.example', 'llama', true]);
  });

  it('a hub that cannot be reached says to try again, with no advice about merges', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')));
    const q = hubSearchQuery('https://hub.example', '', 'llama');
    const err = (await q.queryFn({ signal }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /failed after 2 tries \(Failed to fetch\); check the network or the hub, then try again$/,
    );
    expect(err.message).not.toMatch(/shards|run the job/);
  });
});
