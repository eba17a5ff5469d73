/**
 * The local hub's write side refuses what it must: malformed bodies, unsafe paths, commits naming
 * objects never uploaded, requests without a write token, and any write to a read-only hub or to
 * a folder it serves read-only.
 */
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRepo } from '@huggingface/hub';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../scripts/lib/golden.ts';
import { startHubServer } from './hub-server.ts';
import {
  commit,
  file,
  header,
  listAll,
  MiB,
  ndjson,
  post,
  start,
  tmp,
  TOKEN,
} from './upload-test-helpers.ts';

describe('local hub uploads: malformed requests', () => {
  it('answers malformed bodies with 400 and an oversized commit with 413, never 500', async () => {
    const { hub } = await start();
    await createRepo({ repo: 'acme/m', hubUrl: hub.url, accessToken: TOKEN });
    const api = `${hub.url}/api/models/acme/m`;
    const batchUrl = `${hub.url}/acme/m.git/info/lfs/objects/batch`;
    const cases: [string, string][] = [
      [`${hub.url}/api/repos/create`, 'null'],
      [`${hub.url}/api/repos/create`, '{"name":"x","organization":"acme","files":[null]}'],
      [`${api}/preupload/main`, '{"files":[null]}'],
      [`${api}/preupload/main`, '{"files":"x"}'],
      [batchUrl, '{"operation":"upload","objects":[null]}'],
      [batchUrl, '{"operation":"download","objects":[]}'],
      [`${api}/commit/main`, 'null'],
      [`${api}/commit/main`, `${JSON.stringify(header)}\n5`],
      [`${api}/commit/main`, `${JSON.stringify(header)}\n{"key":"rename","value":{"path":"a"}}`],
      [`${api}/paths-info/main`, '{oops'],
    ];
    for (const [url, body] of cases) expect((await post(url, body)).status, `${url} ${body}`).toBe(400);
    const huge = await post(`${api}/commit/main`, 'x'.repeat(64 * MiB + 1));
    expect(huge.status).toBe(413);
    expect((await post(`${api}/nope/main`, '{}')).status).toBe(404);
  });
});

describe('local hub uploads: safety', () => {
  const BAD = [
    '../x',
    'a/../../x',
    '/abs',
    'a\\b',
    '.git/config',
    'a//b',
    './x',
    'x\u0000y',
    '.lfs/objects/x',
    'A/.GIT/x',
  ];

  it('refuses unsafe paths in preupload and commit, writing nothing anywhere (c)', async () => {
    const { hub, uploads } = await start();
    await createRepo({ repo: 'acme/m', hubUrl: hub.url, accessToken: TOKEN });
    const before = await listAll(tmp);
    for (const p of BAD) {
      const pre = await post(
        `${hub.url}/api/models/acme/m/preupload/main`,
        { files: [{ path: p, size: 1, sample: '' }] },
        { Authorization: `Bearer ${TOKEN}` },
      );
      expect(pre.status, p).toBe(400);
      expect(((await pre.json()) as { error: string }).error, p).toContain(JSON.stringify(p));
      const ok = file('ok.txt');
      const c = await commit(hub, 'acme/m', ndjson(header, ok, file(p)));
      expect(c.status, p).toBe(400);
      const d = await commit(hub, 'acme/m', ndjson(header, { key: 'deletedFolder', value: { path: p } }));
      expect(d.status, p).toBe(400);
    }
    expect(await listAll(tmp)).toEqual(before);
    expect(await readdir(path.join(uploads, 'acme', 'm'))).toEqual([]);
  });

  it('refuses a commit naming an LFS object not uploaded, writing nothing (f)', async () => {
    const { hub, uploads } = await start();
    await createRepo({ repo: 'acme/m', hubUrl: hub.url, accessToken: TOKEN });
    const ok = { key: 'file', value: { path: 'config.json', content: 'e30=', encoding: 'base64' } };
    const lfs = {
      key: 'lfsFile',
      value: { path: 'model.safetensors', algo: 'sha256', size: 10, oid: 'a'.repeat(64) },
    };
    const r = await commit(hub, 'acme/m', ndjson(header, ok, lfs));
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toContain('"model.safetensors"');
    expect(await readdir(path.join(uploads, 'acme', 'm'))).toEqual([]);
  });

  it('asks for a write token: 401 without one, 403 for another, never echoing it (d)', async () => {
    const { hub } = await start({}, { tokens: [TOKEN] });
    const none = await post(`${hub.url}/api/repos/create`, { name: 'm', organization: 'acme' });
    expect(none.status).toBe(401);
    const wrong = await post(
      `${hub.url}/api/repos/create`,
      { name: 'm', organization: 'acme' },
      { Authorization: 'Bearer hf_SomeoneElsesToken' },
    );
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).not.toContain('hf_SomeoneElsesToken');
    await expect(createRepo({ repo: 'acme/m', hubUrl: hub.url, accessToken: 'hf_wrong' })).rejects.toThrow();
    await createRepo({ repo: 'acme/m', hubUrl: hub.url, accessToken: TOKEN });
    for (const [url, body] of [
      [`${hub.url}/api/models/acme/m/preupload/main`, { files: [] }],
      [`${hub.url}/acme/m.git/info/lfs/objects/batch`, { operation: 'upload', objects: [] }],
      [`${hub.url}/api/models/acme/m/commit/main`, ndjson(header)],
    ] as const) {
      expect((await post(url, body)).status, url).toBe(401);
      expect((await post(url, body, { Authorization: 'Bearer hf_x' })).status, url).toBe(403);
    }
    const who = await fetch(`${hub.url}/api/whoami-v2`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(((await who.json()) as { auth: { accessToken: { role: string } } }).auth.accessToken.role).toBe(
      'write',
    );
  });

  it('is read-only without uploads (e), and never writes a served folder', async () => {
    const { hub } = await start({}, false);
    for (const r of [
      await post(`${hub.url}/api/repos/create`, { name: 'm', organization: 'acme' }),
      await post(`${hub.url}/api/models/tinymix-code/commit/main`, ndjson(header)),
      await post(`${hub.url}/api/models/acme/none/preupload/main`, { files: [] }),
      await post(`${hub.url}/tinymix-code.git/info/lfs/objects/batch`, { operation: 'upload', objects: [] }),
      await fetch(`${hub.url}/api/lfs-upload/somekey`, { method: 'PUT', body: 'x' }),
    ]) {
      expect(r.status).toBe(403);
      expect(((await r.json()) as { error: string }).error).toContain('read-only');
    }
    expect((await fetch(`${hub.url}/tinymix-code/resolve/main/config.json`, { method: 'PUT' })).status).toBe(
      405,
    );
    expect((await fetch(`${hub.url}/api/models`, { method: 'DELETE' })).status).toBe(405);

    // With uploads, a repo of the served folder stays read-only, and wins a name clash.
    const root = path.join(tmp, 'served');
    await cp(path.join(MODELS_DIR, 'tinymix-law'), path.join(root, 'acme', 'law'), { recursive: true });
    const up = await start({ root });
    await mkdir(path.join(up.uploads, 'acme', 'law'), { recursive: true });
    await writeFile(path.join(up.uploads, 'acme', 'law', 'other.txt'), 'x');
    const c = await commit(
      up.hub,
      'acme/law',
      ndjson(header, { key: 'deletedFile', value: { path: 'config.json' } }),
    );
    expect(c.status).toBe(403);
    expect(await readdir(path.join(root, 'acme', 'law'))).toContain('config.json');
    const info = (await (await fetch(`${up.hub.url}/api/models/acme/law`)).json()) as {
      siblings: { rfilename: string }[];
    };
    expect(info.siblings.map((s) => s.rfilename)).toContain('config.json');
    await expect(createRepo({ repo: 'acme/law', hubUrl: up.hub.url, accessToken: TOKEN })).rejects.toThrow();
    await expect(startHubServer({ root, uploads: { root: path.join(root, 'up') } })).rejects.toThrow(/apart/);
  });
});
