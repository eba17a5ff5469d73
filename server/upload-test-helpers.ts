/**
 * Shared by the upload tests (uploads.test.ts, upload-safety.test.ts): a hub with uploads in a
 * fresh folder, raw requests for what the real client would never send, and the client's publish.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { uploadFilesWithProgress, type CommitOutput } from '@huggingface/hub';
import { afterAll, expect } from 'vitest';
import { MODELS_DIR } from '../scripts/lib/golden.ts';
import { startHubServer, type HubServer, type HubServerOptions, type RequestLogEntry } from './hub-server.ts';

export const TOKEN = 'hf_WriterTokenThatMustNeverLeak';
export const MiB = 1024 * 1024;

export const tmp = await mkdtemp(path.join(os.tmpdir(), 'hub-uploads-'));
const servers: HubServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await rm(tmp, { recursive: true, force: true });
});

let n = 0;
/** A hub serving MODELS_DIR, uploads in a fresh folder (returned as `uploads`). */
export async function start(
  opts: Partial<HubServerOptions> = {},
  upload: Partial<NonNullable<HubServerOptions['uploads']>> | false = {},
): Promise<{ hub: HubServer; uploads: string; log: RequestLogEntry[] }> {
  const uploads = path.join(tmp, `uploads-${++n}`);
  const log: RequestLogEntry[] = [];
  const hub = await startHubServer({
    root: MODELS_DIR,
    onRequest: (e) => log.push(e),
    ...(upload !== false && { uploads: { root: uploads, multipartChunkBytes: MiB, ...upload } }),
    ...opts,
  });
  servers.push(hub);
  return { hub, uploads, log };
}

/** A copy typed as DOM bodies want (a Buffer's memory may be shared). */
export const u8 = (b: Buffer): Uint8Array<ArrayBuffer> => new Uint8Array(b);

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Every file under `dir`, relative, `/`-separated. */
export async function listAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
  }
  return out.sort();
}

export async function publish(
  hub: HubServer,
  repo: string,
  files: Record<string, Buffer>,
): Promise<CommitOutput> {
  const events = uploadFilesWithProgress({
    repo,
    hubUrl: hub.url,
    accessToken: TOKEN,
    useXet: false,
    files: Object.entries(files).map(([p, b]) => ({ path: p, content: new Blob([u8(b)]) })),
  });
  let r = await events.next();
  while (!r.done) r = await events.next();
  return r.value!;
}

/** A batch request for one object; its answer's object. */
export async function batch(hub: HubServer, repo: string, oid: string, size: number) {
  const r = await post(
    `${hub.url}/${repo}.git/info/lfs/objects/batch`,
    { operation: 'upload', transfers: ['basic', 'multipart'], objects: [{ oid, size }] },
    { Accept: 'application/vnd.git-lfs+json', Authorization: `Bearer ${TOKEN}` },
  );
  expect(r.status).toBe(200);
  expect(r.headers.get('Content-Type')).toContain('application/vnd.git-lfs+json');
  const json = (await r.json()) as {
    objects: { actions?: { upload: { href: string; header?: Record<string, string> } } }[];
  };
  return json.objects[0]!;
}

export const ndjson = (...lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n');
export const header = { key: 'header', value: { summary: 'test' } };
export const file = (p: string) => ({ key: 'file', value: { path: p, content: 'aGk=', encoding: 'base64' } });

export async function commit(hub: HubServer, repo: string, body: string, token = TOKEN): Promise<Response> {
  return post(`${hub.url}/api/models/${repo}/commit/main`, body, {
    'Content-Type': 'application/x-ndjson',
    Authorization: `Bearer ${token}`,
  });
}
