/**
 * Which pages may read the local hub (origins.ts): loopback origins and those allowed get CORS
 * headers, others a 403 without them (their preflights too), and requests without an Origin
 * (curl, Node) are answered as before.
 */
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../scripts/lib/golden.ts';
import { startHubServer, type HubServer, type HubServerOptions } from './hub-server.ts';
import { isAllowedOrigin, isLoopbackAddress, isLoopbackHost, normalizeOrigin } from './origins.ts';

const servers: HubServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function start(opts: Partial<HubServerOptions> = {}): Promise<HubServer> {
  const s = await startHubServer({ root: MODELS_DIR, ...opts });
  servers.push(s);
  return s;
}

const CONFIG = '/tinymix-code/resolve/main/config.json';

function preflight(hub: HubServer, origin: string): Promise<Response> {
  return fetch(`${hub.url}/tinymix-code/resolve/main/model.safetensors`, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'range',
      'Access-Control-Request-Private-Network': 'true',
    },
  });
}

/** A GET with a Host header of our choosing (fetch sets its own). */
function getWithHost(hub: HubServer, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${hub.url}${CONFIG}`, { headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('local hub: origins', () => {
  it('lets pages on this machine read it, on any port, with their origin echoed and Vary: Origin', async () => {
    const hub = await start();
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:5199', 'http://[::1]:4173']) {
      const r = await fetch(`${hub.url}${CONFIG}`, { headers: { Origin: origin } });
      expect(r.status, origin).toBe(200);
      expect(r.headers.get('Access-Control-Allow-Origin'), origin).toBe(origin);
      expect(r.headers.get('Access-Control-Expose-Headers'), origin).toContain('Content-Range');
      expect(r.headers.get('Vary'), origin).toBe('Origin');
      const pre = await preflight(hub, origin);
      expect(pre.status, origin).toBe(204);
      expect(pre.headers.get('Access-Control-Allow-Origin'), origin).toBe(origin);
      expect(pre.headers.get('Access-Control-Allow-Private-Network'), origin).toBe('true');
    }
  });

  it('refuses other pages, their preflights included, and says so to onRefusedOrigin', async () => {
    const refused: string[] = [];
    const hub = await start({ onRefusedOrigin: (o) => refused.push(o) });
    for (const origin of ['https://evil.example', 'http://localhost.evil.example', 'null']) {
      const r = await fetch(`${hub.url}/`, { headers: { Origin: origin } });
      expect(r.status, origin).toBe(403);
      expect(r.headers.get('Access-Control-Allow-Origin'), origin).toBeNull();
      expect(r.headers.get('Vary'), origin).toBe('Origin');
      expect(JSON.stringify(await r.json()), origin).not.toContain('tinymix');
      const pre = await preflight(hub, origin);
      expect(pre.status, origin).toBe(403);
      expect(pre.headers.get('Access-Control-Allow-Origin'), origin).toBeNull();
      expect(pre.headers.get('Access-Control-Allow-Private-Network'), origin).toBeNull();
    }
    expect(refused).toContain('https://evil.example');
  });

  it('answers requests without an Origin (curl, Node) with no CORS headers', async () => {
    const hub = await start();
    const r = await fetch(`${hub.url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('Access-Control-Allow-Origin')).toBeNull();
    expect(((await r.json()) as { models: string[] }).models).toContain('tinymix-code');
  });

  it('lets the pages in allowOrigins read it, or every page with *', async () => {
    const hub = await start({ allowOrigins: ['https://Studio.example:443/'] });
    const ok = await fetch(`${hub.url}${CONFIG}`, { headers: { Origin: 'https://studio.example' } });
    expect([ok.status, ok.headers.get('Access-Control-Allow-Origin')]).toEqual([
      200,
      'https://studio.example',
    ]);
    const other = await fetch(`${hub.url}${CONFIG}`, { headers: { Origin: 'https://other.example' } });
    expect(other.status).toBe(403);
    const all = await start({ allowOrigins: ['*'] });
    const pre = await preflight(all, 'https://other.example');
    expect([pre.status, pre.headers.get('Access-Control-Allow-Origin')]).toEqual([
      204,
      'https://other.example',
    ]);
    await expect(start({ allowOrigins: ['studio.example'] })).rejects.toThrow(/not 'studio.example'/);
  });

  it('answers only requests addressed to a loopback name while bound to loopback', async () => {
    const hub = await start();
    expect(await getWithHost(hub, `127.0.0.1:${hub.port}`)).toBe(200);
    expect(await getWithHost(hub, `localhost:${hub.port}`)).toBe(200);
    expect(await getWithHost(hub, `rebound.evil.example:${hub.port}`)).toBe(403);
    // --host 127.0.0.1 written out is still loopback: the check stays on.
    const written = await start({ host: '127.0.0.1' });
    expect(await getWithHost(written, `rebound.evil.example:${written.port}`)).toBe(403);
    // A host the network can reach was asked for: other names are expected.
    const chosen = await start({ host: '0.0.0.0' });
    expect(await getWithHost(chosen, `my-machine.lan:${chosen.port}`)).toBe(200);
  });
});

describe('origins', () => {
  it('normalizes allowed origins as browsers send them, and rejects what is no origin', () => {
    expect(normalizeOrigin('HTTPS://Studio.Example:443/')).toBe('https://studio.example');
    expect(normalizeOrigin('http://localhost:8080')).toBe('http://localhost:8080');
    expect(normalizeOrigin('*')).toBe('*');
    for (const bad of [
      'studio.example',
      'https://x.example/app',
      'https://x.example/?a',
      'ftp://x',
      'null',
    ]) {
      expect(normalizeOrigin(bad), bad).toBeUndefined();
    }
  });

  it('allows loopback origins only as serialized origins', () => {
    expect(isAllowedOrigin('https://localhost')).toBe(true);
    expect(isAllowedOrigin('http://127.0.0.1.nip.io:5173')).toBe(false);
    expect(isAllowedOrigin('http://127.1:5173')).toBe(false); // not how a browser writes it
    expect(isAllowedOrigin('http://localhost:5173/path')).toBe(false);
    expect(isAllowedOrigin('file://')).toBe(false);
    expect(isLoopbackHost('[::1]:5174')).toBe(true);
    expect(isLoopbackHost('localhost@evil.example')).toBe(false);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('0.0.0.0')).toBe(false);
  });
});
