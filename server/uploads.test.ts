/**
 * The local hub's write side through the real client (@huggingface/hub's createRepo and
 * uploadFilesWithProgress, `useXet: false`), and its LFS transfers by hand: mismatched bodies,
 * multipart parts and their etags.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRepo, downloadFile } from '@huggingface/hub';
import { describe, expect, it } from 'vitest';
import {
  batch,
  commit,
  header,
  listAll,
  file,
  MiB,
  ndjson,
  post,
  publish,
  sha256,
  start,
  TOKEN,
  u8,
} from './upload-test-helpers.ts';

describe('local hub uploads: the real client', () => {
  it('publishes small, LFS and multipart files with createRepo + uploadFilesWithProgress, then reads them back', async () => {
    const { hub, uploads, log } = await start();
    const files: Record<string, Buffer> = {
      'config.json': Buffer.from('{"architectures":["LlamaForCausalLM"],"model_type":"llama"}'),
      'README.md': Buffer.from('# merged\n'),
      'sub/tokenizer.json': Buffer.from(JSON.stringify({ vocab: ['a', 'b'] })),
      'small.bin': randomBytes(100_000),
      'model.safetensors': randomBytes(3 * MiB + 12345), // 4 parts of 1 MiB
    };
    const created = await createRepo({ repo: 'acme/merged', hubUrl: hub.url, accessToken: TOKEN });
    expect(created).toEqual({ repoUrl: `${hub.url}/acme/merged`, id: 'acme/merged' });
    const out = await publish(hub, 'acme/merged', files);
    const dir = path.join(uploads, 'acme', 'merged');
    expect(await listAll(dir)).toEqual(Object.keys(files).sort());
    for (const [p, bytes] of Object.entries(files))
      expect((await readFile(path.join(dir, p))).equals(bytes), p).toBe(true);
    // The multipart upload: 4 part PUTs and one completion, without the token.
    const puts = log.filter((e) => e.method === 'PUT');
    expect(puts.length).toBe(5); // 4 parts + small.bin
    expect(puts.every((e) => e.status === 200 && !e.authorization)).toBe(true);

    const info = (await (await fetch(`${hub.url}/api/models/acme/merged`)).json()) as {
      sha: string;
      siblings: { rfilename: string }[];
    };
    expect(out.commit).toEqual({ oid: info.sha, url: `${hub.url}/acme/merged/commit/${info.sha}` });
    expect(info.siblings.map((s) => s.rfilename).sort()).toEqual(Object.keys(files).sort());
    const part = await fetch(`${hub.url}/acme/merged/resolve/main/model.safetensors`, {
      headers: { Range: 'bytes=1048570-1048580' },
    });
    expect(part.status).toBe(206);
    expect(
      Buffer.from(await part.arrayBuffer()).equals(files['model.safetensors']!.subarray(1048570, 1048581)),
    ).toBe(true);
    const blob = await downloadFile({ hubUrl: hub.url, repo: 'acme/merged', path: 'sub/tokenizer.json' });
    expect(Buffer.from(await blob!.arrayBuffer()).equals(files['sub/tokenizer.json']!)).toBe(true);
    const home = (await (await fetch(`${hub.url}/`)).json()) as { models: string[] };
    expect(home.models).toContain('acme/merged');
    expect(home.models.some((m) => m.includes('.lfs'))).toBe(false);
    expect((await fetch(`${hub.url}/api/models/acme/merged/tree/main/.lfs`)).status).toBe(404);

    // (g) Publishing again sends no LFS bytes: the batch finds every object stored.
    const before = log.length;
    await publish(hub, 'acme/merged', files);
    expect(log.slice(before).filter((e) => e.method === 'PUT')).toEqual([]);
    const again = await batch(hub, 'acme/merged', sha256(files['small.bin']!), 100_000);
    expect(again.actions).toBeUndefined();
    // A repo that exists already: 409, which the client reports as an error.
    await expect(createRepo({ repo: 'acme/merged', hubUrl: hub.url, accessToken: TOKEN })).rejects.toThrow(
      /already created/,
    );
  });

  it('serves an empty created repo, lists LFS modes in preupload, and deletes files and folders', async () => {
    const { hub, uploads } = await start();
    await createRepo({ repo: 'acme/empty', hubUrl: hub.url, accessToken: TOKEN });
    const info = (await (await fetch(`${hub.url}/api/models/acme/empty`)).json()) as { siblings: unknown[] };
    expect(info.siblings).toEqual([]);
    const pre = await post(
      `${hub.url}/api/models/acme/empty/preupload/main`,
      {
        files: [
          { path: 'config.json', size: 10, sample: '' },
          { path: 'tokenizer.model', size: 10, sample: '' },
          { path: 'data.json', size: 20_000_000, sample: '' },
        ],
      },
      { Authorization: `Bearer ${TOKEN}` },
    );
    expect(
      ((await pre.json()) as { files: { uploadMode: string }[] }).files.map((f) => f.uploadMode),
    ).toEqual(['regular', 'lfs', 'lfs']);
    expect((await commit(hub, 'acme/empty', ndjson(header, file('a/b/c.txt'), file('d.txt')))).status).toBe(
      200,
    );
    const dir = path.join(uploads, 'acme', 'empty');
    expect(await listAll(dir)).toEqual(['a/b/c.txt', 'd.txt']);
    const del = ndjson(
      header,
      { key: 'deletedFolder', value: { path: 'a' } },
      { key: 'deletedFile', value: { path: 'd.txt' } },
    );
    expect((await commit(hub, 'acme/empty', del)).status).toBe(200);
    expect(await readdir(dir)).toEqual([]);
    const missing = await commit(
      hub,
      'acme/empty',
      ndjson(header, { key: 'deletedFile', value: { path: 'd.txt' } }),
    );
    expect(missing.status).toBe(404);
    expect((await commit(hub, 'acme/empty', ndjson(header, file('x.txt')) + '\n{bad')).status).toBe(400);
    expect((await post(`${hub.url}/api/models/acme/empty/commit/dev`, ndjson(header))).status).toBe(404);
    expect((await post(`${hub.url}/api/datasets/acme/empty/commit/main`, ndjson(header))).status).toBe(400);
    expect((await post(`${hub.url}/api/repos/create`, '{not json')).status).toBe(400);
    expect((await post(`${hub.url}/api/repos/create`, { name: '..', organization: 'acme' })).status).toBe(
      400,
    );
  });
});

describe('local hub uploads: LFS transfers', () => {
  it('refuses a PUT whose size or sha256 differ from the declared ones, storing nothing (b)', async () => {
    const { hub, uploads } = await start();
    await createRepo({ repo: 'acme/m', hubUrl: hub.url, accessToken: TOKEN });
    const bytes = randomBytes(5000);
    const oid = sha256(bytes);
    const cases: [Buffer, RegExp][] = [
      [randomBytes(5000), new RegExp(`expected sha256 ${oid}, got [0-9a-f]{64}`)],
      [bytes.subarray(0, 4000), /expected 5000 bytes, got 4000/],
      [Buffer.concat([bytes, bytes]), /expected 5000 bytes, got 10000/],
    ];
    for (const [body, message] of cases) {
      const obj = await batch(hub, 'acme/m', oid, 5000);
      const r = await fetch(obj.actions!.upload.href, { method: 'PUT', body: u8(body) });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toMatch(message);
      // The key worked once.
      expect((await fetch(obj.actions!.upload.href, { method: 'PUT', body: u8(bytes) })).status).toBe(404);
    }
    expect(await listAll(path.join(uploads, '.lfs'))).toEqual([]);
    const ok = await batch(hub, 'acme/m', oid, 5000);
    expect((await fetch(ok.actions!.upload.href, { method: 'PUT', body: u8(bytes) })).status).toBe(200);
    expect(await listAll(path.join(uploads, '.lfs'))).toEqual([`objects/${oid}`]);
  });

  it('completes a multipart upload only with every part and its etag, and exposes ETag to pages', async () => {
    const { hub, uploads } = await start();
    await createRepo({ repo: 'acme/m', hubUrl: hub.url, accessToken: TOKEN });
    const bytes = randomBytes(2 * MiB + 10);
    const oid = sha256(bytes);
    const obj = await batch(hub, 'acme/m', oid, bytes.length);
    const { href, header: h } = obj.actions!.upload;
    expect(h!['chunk_size']).toBe(String(MiB));
    const parts = ['00001', '00002', '00003'].map((k) => h![k]!);
    expect(h!['00004']).toBeUndefined();
    const pre = await fetch(parts[0]!, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'PUT' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('Access-Control-Allow-Methods')).toContain('PUT');
    const etags: string[] = [];
    for (const [i, url] of parts.entries()) {
      const r = await fetch(url, {
        method: 'PUT',
        body: u8(bytes.subarray(i * MiB, (i + 1) * MiB)),
        headers: { Origin: 'http://localhost:5173' },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('Access-Control-Expose-Headers')).toContain('ETag');
      etags.push(r.headers.get('ETag')!);
    }
    const wrongSize = await fetch(parts[2]!, { method: 'PUT', body: u8(bytes.subarray(0, 5)) });
    expect(wrongSize.status).toBe(400);
    const complete = (ps: { partNumber: number; etag: string }[]) => post(href, { oid, parts: ps });
    const all = etags.map((etag, i) => ({ partNumber: i + 1, etag }));
    expect((await complete(all.slice(0, 2))).status).toBe(400);
    expect((await complete([...all.slice(0, 2), { partNumber: 3, etag: '"nope"' }])).status).toBe(400);
    expect(await listAll(path.join(uploads, '.lfs', 'objects'))).toEqual([]);
    expect((await complete(all)).status).toBe(200);
    expect((await readFile(path.join(uploads, '.lfs', 'objects', oid))).equals(bytes)).toBe(true);
    expect(await readdir(path.join(uploads, '.lfs', 'incoming'))).toEqual([]);
    expect((await complete(all)).status).toBe(404); // done: the key is spent
  });
});
