import { cp, mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  downloadFile,
  fileDownloadInfo,
  listFiles,
  listModels,
  modelInfo,
  parseSafetensorsMetadata,
} from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../scripts/lib/golden.ts';
import { startHubServer, type HubServer, type HubServerOptions } from './hub-server.ts';
import { findRepos } from './model-folders.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'hub-server-'));
const servers: HubServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(tmp, { recursive: true, force: true });
});

async function start(opts: Partial<HubServerOptions> = {}): Promise<HubServer> {
  const s = await startHubServer({ root: MODELS_DIR, ...opts });
  servers.push(s);
  return s;
}

let hub: HubServer;
beforeAll(async () => {
  hub = await start();
});

const get = (p: string, headers: Record<string, string> = {}, method = 'GET') =>
  fetch(`${hub.url}${p}`, { method, headers });
const ids = async (q: string) =>
  ((await (await get(`/api/models${q}`)).json()) as { id: string }[]).map((m) => m.id);
const codeFile = () => readFile(path.join(MODELS_DIR, 'tinymix-code', 'model.safetensors'));

describe('local hub: resolve', () => {
  it('honours Range with 206 and Content-Range, in all three forms', async () => {
    const file = await codeFile();
    const cases: [string, number, number][] = [
      ['bytes=10-19', 10, 19],
      ['bytes=1614100-', 1614100, 1614111],
      ['bytes=-5', 1614107, 1614111],
      ['bytes=1614100-9999999', 1614100, 1614111],
    ];
    for (const [range, a, b] of cases) {
      const r = await get('/tinymix-code/resolve/main/model.safetensors', { Range: range });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('Content-Range')).toBe(`bytes ${a}-${b}/1614112`);
      expect(Buffer.from(await r.arrayBuffer()).equals(file.subarray(a, b + 1))).toBe(true);
    }
  });

  it('sends the whole file without Range, 416 past the end, and the same strong ETag each time', async () => {
    const whole = await get('/tinymix-code/resolve/main/model.safetensors');
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(await codeFile())).toBe(true);
    const past = await get('/tinymix-code/resolve/main/model.safetensors', { Range: 'bytes=1614112-' });
    expect(past.status).toBe(416);
    expect(past.headers.get('Content-Range')).toBe('bytes */1614112');
    const head = await get('/tinymix-code/resolve/main/config.json', {}, 'HEAD');
    expect(head.headers.get('Content-Length')).toBe('530');
    expect(head.headers.get('ETag')).toMatch(/^"[0-9a-f]{40}"$/);
    expect((await get('/tinymix-code/resolve/main/config.json', {}, 'HEAD')).headers.get('ETag')).toBe(
      head.headers.get('ETag'),
    );
    expect(whole.headers.get('ETag')).not.toBe(head.headers.get('ETag'));
    expect(head.headers.get('X-Repo-Commit')).toMatch(/^[0-9a-f]{40}$/);
    expect(head.headers.get('Content-Type')).not.toContain('xet');
    // Cacheable bodies are buffered eagerly by Chromium (file-response.ts): twice the CPU to read.
    expect(whole.headers.get('Cache-Control')).toBe('no-store');
    expect(head.headers.get('Cache-Control')).toBe('no-store');
  });

  it('answers missing files, repos and revisions with the Hub error codes', async () => {
    const file = await get('/tinymix-code/resolve/main/nope.bin');
    expect([file.status, file.headers.get('X-Error-Code')]).toEqual([404, 'EntryNotFound']);
    const repo = await get('/acme/nope/resolve/main/config.json');
    expect([repo.status, repo.headers.get('X-Error-Code')]).toEqual([404, 'RepoNotFound']);
    const rev = await get(`/tinymix-code/resolve/${'0'.repeat(40)}/config.json`);
    expect([rev.status, rev.headers.get('X-Error-Code')]).toEqual([404, 'RevisionNotFound']);
    expect((await get('/tinymix-code/resolve/main/../tinymix-base/config.json')).status).toBe(404);
  });

  it('answers a missing non-ASCII or CR/LF path or revision with 404, the text whole in the body', async () => {
    const cases: [string, string, string, string][] = [
      ['/tinymix-code/resolve/main/%E4%B8%AD.txt', 'EntryNotFound', 'Entry not found: 中.txt', '%E4%B8%AD'],
      ['/tinymix-code/resolve/main/x%0D%0ASet-Cookie:%20a=b', 'EntryNotFound', 'x\r\nSet-Cookie', '%0D%0A'],
      [
        '/api/models/tinymix-code/revision/%C3%A9t%C3%A9',
        'RevisionNotFound',
        'Invalid rev id: été',
        '%C3%A9t',
      ],
    ];
    for (const [p, code, body, header] of cases) {
      const r = await get(p);
      expect([r.status, r.headers.get('X-Error-Code')], p).toEqual([404, code]);
      expect(r.headers.get('X-Error-Message'), p).toContain(header);
      expect(r.headers.get('Set-Cookie'), p).toBeNull();
      expect(((await r.json()) as { error: string }).error, p).toContain(body);
    }
  });
});

describe('local hub: CORS', () => {
  it('exposes the headers a cross-origin reader needs and answers preflights', async () => {
    const r = await get('/tinymix-code/resolve/main/config.json', {
      Range: 'bytes=0-0',
      Origin: 'http://localhost:5173',
    });
    expect(r.headers.get('Access-Control-Allow-Origin')).toBe('http://localhost:5173');
    expect(r.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
    const exposed = r.headers.get('Access-Control-Expose-Headers')!.split(', ');
    for (const h of ['Content-Range', 'ETag', 'X-Linked-ETag', 'X-Linked-Size', 'X-Error-Code', 'Link']) {
      expect(exposed).toContain(h);
    }
    const pre = await fetch(`${hub.url}/tinymix-code/resolve/main/model.safetensors`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://127.0.0.1:5173',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization,range',
        'Access-Control-Request-Private-Network': 'true',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('Access-Control-Allow-Headers')).toBe('authorization,range');
    expect(pre.headers.get('Access-Control-Allow-Methods')).toContain('GET');
    expect(pre.headers.get('Access-Control-Allow-Private-Network')).toBe('true');
  });
});

describe('local hub: API', () => {
  it('searches models by text and author', async () => {
    expect(await ids('?search=code')).toEqual(['tinymix-code', 'tinymix-code-b', 'tinymix-code-c']);
    expect(await ids('?search=CODE&limit=1')).toEqual(['tinymix-code']);
    expect(await ids('?author=acme')).toEqual([]);
  });

  it('gives model info with sha and siblings, tree listings and paths-info', async () => {
    const info = (await (await get('/api/models/tinymix-math/revision/main')).json()) as Record<
      string,
      unknown
    >;
    expect(info['id']).toBe('tinymix-math');
    expect(info['sha']).toMatch(/^[0-9a-f]{40}$/);
    expect(info['siblings']).toContainEqual({ rfilename: 'model.safetensors.index.json', size: 3195 });
    expect(info['safetensors']).toEqual({ parameters: { BF16: 804_992 }, total: 804_992 });
    expect(info['config']).toEqual({ architectures: ['LlamaForCausalLM'], model_type: 'llama' });
    const tree = (await (
      await get(`/api/models/tinymix-math/tree/${info['sha']}?recursive=true`)
    ).json()) as {
      path: string;
      size: number;
    }[];
    expect(tree.find((e) => e.path === 'model-00002-of-00002.safetensors')?.size).toBe(740_568);
    const pi = await fetch(`${hub.url}/api/models/tinymix-math/paths-info/main`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ paths: ['config.json', 'nope'] }),
    });
    expect(((await pi.json()) as { path: string }[]).map((e) => e.path)).toEqual(['config.json']);
  });

  it('serves everything @huggingface/hub asks of it', async () => {
    const hubUrl = hub.url;
    const found: string[] = [];
    for await (const m of listModels({ hubUrl, search: { query: 'law' } })) found.push(m.name);
    expect(found).toEqual(['tinymix-law']);
    const info = await modelInfo({ hubUrl, name: 'tinymix-law', additionalFields: ['sha', 'filePaths'] });
    expect(info.filePaths).toContain('model.safetensors');
    const files: string[] = [];
    for await (const f of listFiles({ hubUrl, repo: 'tinymix-law', revision: info.sha })) files.push(f.path);
    expect(files).toContain('tokenizer.json');
    expect(await fileDownloadInfo({ hubUrl, repo: 'tinymix-law', path: 'missing.json' })).toBeNull();
    const blob = await downloadFile({
      hubUrl,
      repo: 'tinymix-law',
      path: 'model.safetensors',
      revision: info.sha,
    });
    expect(blob!.size).toBe(1_614_072);
    const meta = await parseSafetensorsMetadata({ hubUrl, repo: 'tinymix-math' });
    expect(meta.sharded).toBe(true);
  });
});

describe('local hub: folders', () => {
  it('maps DIR/NAME to NAME, DIR/ORG/NAME to ORG/NAME, and a model folder to its own name', async () => {
    const root = path.join(tmp, 'layout');
    await cp(path.join(MODELS_DIR, 'tinymix-code'), path.join(root, 'acme', 'coder'), { recursive: true });
    await cp(path.join(MODELS_DIR, 'tinymix-law'), path.join(root, 'law'), { recursive: true });
    expect([...(await findRepos(root)).keys()]).toEqual(['acme/coder', 'law']);
    expect([...(await findRepos(path.join(root, 'law'))).keys()]).toEqual(['law']);
    const s = await start({ root });
    expect((await fetch(`${s.url}/acme/coder/resolve/main/config.json`)).status).toBe(200);
    expect((await fetch(`${s.url}/api/models/acme/coder/tree/main`)).status).toBe(200);
  });
});

describe('local hub: fault injection', () => {
  it('fails every Nth request with Retry-After, and never a preflight', async () => {
    const s = await start({ failEvery: 3, failStatus: 429, retryAfterSeconds: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      await fetch(`${s.url}/`, { method: 'OPTIONS' });
      const r = await fetch(`${s.url}/api/models`);
      statuses.push(r.status);
      if (r.status === 429) expect(r.headers.get('Retry-After')).toBe('2');
    }
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
    expect(s.counters.failed).toBe(2);
  });

  it('truncates every Nth download, short or cut', async () => {
    const short = await start({ truncateEvery: 1, truncateMode: 'short' });
    const r = await fetch(`${short.url}/tinymix-code/resolve/main/config.json`);
    expect((await r.arrayBuffer()).byteLength).toBe(265);
    const cut = await start({ truncateEvery: 1, truncateMode: 'cut' });
    const c = await fetch(`${cut.url}/tinymix-code/resolve/main/model.safetensors`);
    expect(c.headers.get('Content-Length')).toBe('1614112');
    await expect(c.arrayBuffer()).rejects.toThrow();
  });

  it('requires the token of a gated repo, and tells a missing token from a wrong one', async () => {
    const token = 'hf_gatedgatedgated';
    const s = await start({ tokens: { 'tinymix-code': token } });
    const url = `${s.url}/tinymix-code/resolve/main/config.json`;
    const none = await fetch(url);
    expect([none.status, none.headers.get('X-Error-Code')]).toEqual([401, 'GatedRepo']);
    expect((await fetch(url, { headers: { Authorization: 'Bearer hf_wrong' } })).status).toBe(403);
    expect((await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    // Info stays public (it says the repo is gated), as on the Hub; other repos need nothing.
    const info = (await (await fetch(`${s.url}/api/models/tinymix-code`)).json()) as { gated: unknown };
    expect(info.gated).toBe('manual');
    expect((await fetch(`${s.url}/tinymix-base/resolve/main/config.json`)).status).toBe(200);
    const who = await fetch(`${s.url}/api/whoami-v2`, { headers: { Authorization: `Bearer ${token}` } });
    expect(who.status).toBe(200);
  });

  it('delays answers', async () => {
    const s = await start({ delayMs: 100 });
    const t0 = performance.now();
    await fetch(`${s.url}/`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
  });

  it('limits the bandwidth of file bodies, all of them together', async () => {
    // 1.6 MB at 8 MB/s: 0.2 s for one body; two at once share the link, so 0.4 s for both.
    const s = await start({ bytesPerSecond: 8e6 });
    const url = `${s.url}/tinymix-code/resolve/main/model.safetensors`;
    const whole = await codeFile();
    let t0 = performance.now();
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(whole)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(180);
    t0 = performance.now();
    const both = await Promise.all([fetch(url), fetch(url)].map(async (r) => (await r).arrayBuffer()));
    expect(both.every((b) => Buffer.from(b).equals(whole))).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(380);
  });

  it('derives the commit sha from the files, so it changes when they do', async () => {
    const root = path.join(tmp, 'sha');
    await cp(path.join(MODELS_DIR, 'tinymix-base'), path.join(root, 'm'), { recursive: true });
    const s = await start({ root });
    const sha = async () => ((await (await fetch(`${s.url}/api/models/m`)).json()) as { sha: string }).sha;
    const before = await sha();
    expect(await sha()).toBe(before);
    await utimes(path.join(root, 'm', 'config.json'), new Date(), new Date(Date.now() + 5000));
    expect(await sha()).not.toBe(before);
  });
});
