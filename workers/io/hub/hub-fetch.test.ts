import { describe, expect, it } from 'vitest';
import {
  HubAccessError,
  HubFileChangedError,
  HubNotFoundError,
  HubProtocolError,
  HubTransientError,
} from './errors.ts';
import { hubFetch, normalizeEtag, type HubFetchContext } from './hub-fetch.ts';
import { recordingFetch } from './test-helpers.ts';

const TOKEN = 'hf_secretsecretsecret';

/** `token: null` for a client without a token. */
function ctx(respond: (url: string, h: Headers) => Response, token: string | null = TOKEN) {
  const rec = recordingFetch(respond);
  const c: HubFetchContext = {
    hubUrl: 'https://hub.example',
    token: token ?? undefined,
    fetch: rec.fetch,
    stats: { requests: 0, retries: 0 },
  };
  return { c, rec };
}

const partial = (headers: Record<string, string>): Response =>
  new Response(new Uint8Array(10), { status: 206, headers });
const ok = (): Response => new Response('{}', { status: 200 });

describe('hubFetch', () => {
  it('sends the token to the hub origin only, never to a CDN', async () => {
    const { c, rec } = ctx(ok);
    const f = hubFetch(c, { model: 'org/m', what: 'x' });
    await f('https://hub.example/api/models/org/m');
    await f(new URL('https://cdn.example/file'));
    await f('https://hub.example.evil.com/x');
    expect(rec.requests.map((r) => r.headers.get('Authorization'))).toEqual([`Bearer ${TOKEN}`, null, null]);
    expect(rec.requests.every((r) => !r.url.includes(TOKEN))).toBe(true);
    expect(c.stats.requests).toBe(3);
  });

  it('keeps an Authorization the library set itself (a Xet storage token)', async () => {
    const { c, rec } = ctx(ok);
    await hubFetch(c, { model: 'org/m', what: 'x' })('https://hub.example/a', {
      headers: { Authorization: 'Bearer xet-jwt' },
    });
    expect(rec.requests[0]!.headers.get('Authorization')).toBe('Bearer xet-jwt');
  });

  it('turns 401 and 403 into the gated/private message, without the token', async () => {
    for (const status of [401, 403]) {
      const { c } = ctx(() => new Response('no', { status }));
      const err = await hubFetch(c, { model: 'org/gated', what: 'x' })('https://hub.example/a').catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(HubAccessError);
      expect(err.message).toContain('org/gated on https://hub.example: this model is gated or private');
      expect(err.message).toContain('accept its licence on its Hub page and give a token with read access');
      expect(err.message).toContain('the token given was refused');
      expect(err.message).not.toContain(TOKEN);
    }
    const { c } = ctx(() => new Response('no', { status: 401 }), null);
    const err = await hubFetch(c, { model: 'org/gated', what: 'x' })('https://hub.example/a').catch((e) => e);
    expect(err.message).toContain('no token was given');
  });

  it('makes 429 and 5xx retryable with the Retry-After they carry', async () => {
    const { c } = ctx(() => new Response('', { status: 429, headers: { 'Retry-After': '7' } }));
    const err = await hubFetch(c, { model: 'm', what: 'x' })('https://hub.example/a').catch((e) => e);
    expect(err).toBeInstanceOf(HubTransientError);
    expect(err.retryAfterMs).toBe(7000);
    const { c: c2 } = ctx(() => new Response('', { status: 502 }));
    const err2 = await hubFetch(c2, { model: 'm', what: 'x' })('https://hub.example/a').catch((e) => e);
    expect(err2).toBeInstanceOf(HubTransientError);
    expect(err2.message).toBe('HTTP 502');
  });

  it('passes a missing file (404 EntryNotFound) through, and names a missing repo or revision', async () => {
    const entry = ctx(() => new Response('', { status: 404, headers: { 'X-Error-Code': 'EntryNotFound' } }));
    expect((await hubFetch(entry.c, { model: 'm', what: 'x' })('https://hub.example/a')).status).toBe(404);
    const repo = ctx(() => new Response('', { status: 404, headers: { 'X-Error-Code': 'RepoNotFound' } }));
    await expect(hubFetch(repo.c, { model: 'org/nope', what: 'x' })('https://hub.example/a')).rejects.toThrow(
      new HubNotFoundError('org/nope was not found on https://hub.example: check the repo id (org/name)'),
    );
    const rev = ctx(() => new Response('', { status: 404, headers: { 'X-Error-Code': 'RevisionNotFound' } }));
    await expect(hubFetch(rev.c, { model: 'org/m@v9', what: 'x' })('https://hub.example/a')).rejects.toThrow(
      /org\/m@v9: that revision is not on https:\/\/hub.example/,
    );
  });

  describe('range reads', () => {
    const expect0 = { url: 'https://hub.example/f', start: 10, end: 20, size: 100, etag: '"abc"' };

    it('accepts exactly the range asked, with the same ETag (weak or strong)', async () => {
      const { c } = ctx(() => partial({ 'Content-Range': 'bytes 10-19/100', ETag: 'W/"abc"' }));
      const r = await hubFetch(c, { model: 'm', what: 'x', expect: expect0 })(expect0.url, {
        headers: { Range: 'bytes=10-19' },
      });
      expect(r.status).toBe(206);
    });

    it('refuses a changed ETag', async () => {
      const { c } = ctx(() => partial({ 'Content-Range': 'bytes 10-19/100', ETag: '"def"' }));
      const err = await hubFetch(c, { model: 'm', what: 'm/f bytes 10-19', expect: expect0 })(expect0.url, {
        headers: { Range: 'bytes=10-19' },
      }).catch((e) => e);
      expect(err).toBeInstanceOf(HubFileChangedError);
      expect(err.message).toContain('m/f bytes 10-19: the file changed on the hub while it was read');
    });

    it('retries another range than asked, and refuses a server that ignores Range', async () => {
      const shifted = ctx(() => partial({ 'Content-Range': 'bytes 0-9/100' }));
      await expect(
        hubFetch(shifted.c, { model: 'm', what: 'x', expect: expect0 })(expect0.url, {
          headers: { Range: 'bytes=10-19' },
        }),
      ).rejects.toBeInstanceOf(HubTransientError);
      const whole = ctx(() => new Response(new Uint8Array(100), { status: 200 }));
      await expect(
        hubFetch(whole.c, { model: 'm', what: 'x', expect: expect0 })(expect0.url, {
          headers: { Range: 'bytes=10-19' },
        }),
      ).rejects.toBeInstanceOf(HubProtocolError);
    });

    it('checks only the file it expects (not the Xet storage requests of the same read)', async () => {
      const { c } = ctx(() => new Response('', { status: 200, headers: { ETag: '"other"' } }));
      const r = await hubFetch(c, { model: 'm', what: 'x', expect: expect0 })('https://cas.example/xorb');
      expect(r.status).toBe(200);
    });
  });

  it('normalizes ETags', () => {
    expect(normalizeEtag('W/"a1"')).toBe('a1');
    expect(normalizeEtag('"a1"')).toBe('a1');
    expect(normalizeEtag('a1')).toBe('a1');
  });
});
