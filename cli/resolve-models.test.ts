/**
 * Which hub the CLI reads from, and which token goes to it ($HF_TOKEN only to the hubs it is
 * for); which models are local folders (absolute or from the working directory), mixed with Hub
 * repos in one recipe.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../scripts/lib/golden.ts';
import { startHubServer } from '../server/hub-server.ts';
import { hubAccess, resolveModels, type ResolvedModels } from './resolve-models.ts';

const TOKEN = 'hf_envsecretenvsecret';
const FLAG = 'hf_flagsecretflagsecret';

describe('hubAccess', () => {
  it('gives $HF_TOKEN to huggingface.co, by default or named', () => {
    expect(hubAccess({}, { HF_TOKEN: TOKEN })).toMatchObject({
      hubUrl: 'https://huggingface.co',
      token: TOKEN,
      withheld: undefined,
    });
    expect(hubAccess({ 'hub-url': 'https://huggingface.co/' }, { HF_TOKEN: TOKEN }).token).toBe(TOKEN);
  });

  it('gives $HF_TOKEN to the hub $HF_ENDPOINT names, by default or named', () => {
    const env = { HF_TOKEN: TOKEN, HF_ENDPOINT: 'https://hub.example' };
    expect(hubAccess({}, env)).toMatchObject({ hubUrl: 'https://hub.example', token: TOKEN });
    expect(hubAccess({ 'hub-url': 'https://hub.example' }, env).token).toBe(TOKEN);
    expect(hubAccess({ 'hub-url': 'https://huggingface.co' }, env).token).toBe(TOKEN);
  });

  it('keeps $HF_TOKEN from any other --hub-url, says so, and asks for --token', () => {
    const env = { HF_TOKEN: TOKEN, HF_ENDPOINT: 'https://hub.example' };
    const a = hubAccess({ 'hub-url': 'https://someone-else.example' }, env);
    expect(a.token).toBeUndefined();
    expect(a.withheld).toBe(
      'HF_TOKEN is not sent to https://someone-else.example (only to huggingface.co or $HF_ENDPOINT): ' +
        "give that hub's token with --token",
    );
    expect(a.tokenHint).toBe('give it with --token; HF_TOKEN goes only to huggingface.co or $HF_ENDPOINT');
    expect(JSON.stringify(a)).not.toContain(TOKEN);
  });

  it('sends an explicit --token to whatever hub is named', () => {
    const a = hubAccess({ 'hub-url': 'https://someone-else.example', token: FLAG }, { HF_TOKEN: TOKEN });
    expect(a).toMatchObject({ token: FLAG, withheld: undefined });
  });

  it('treats empty variables as unset', () => {
    expect(hubAccess({}, { HF_TOKEN: '', HF_ENDPOINT: '' })).toMatchObject({
      hubUrl: 'https://huggingface.co',
      token: undefined,
      withheld: undefined,
    });
  });
});

/** A hub that knows no repo, recording each request's headers. */
async function emptyHub(): Promise<{ url: string; seen: IncomingHttpHeaders[]; close(): void }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(404, { 'X-Error-Code': 'RepoNotFound' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => server.close() };
}

describe('resolveModels', () => {
  it('does not send $HF_TOKEN to a --hub-url it was not meant for', async () => {
    const hub = await emptyHub();
    try {
      const logs: string[] = [];
      const onLog = (l: string): number => logs.push(l);
      const m = resolveModels({ 'hub-url': hub.url }, ['org/m'], { env: { HF_TOKEN: TOKEN }, onLog });
      await expect(m.resolve('org/m')).rejects.toThrow(/not found/);
      expect(hub.seen.length).toBeGreaterThan(0);
      for (const h of hub.seen) expect(h.authorization).toBeUndefined();
      expect(logs).toEqual([expect.stringMatching(/^HF_TOKEN is not sent to http:\/\/127\.0\.0\.1:\d+ /)]);

      const named = resolveModels({ 'hub-url': hub.url }, ['org/m'], {
        env: { HF_TOKEN: TOKEN, HF_ENDPOINT: hub.url },
      });
      await expect(named.resolve('org/m')).rejects.toThrow(/not found/);
      expect(hub.seen.at(-1)?.authorization).toBe(`Bearer ${TOKEN}`);
    } finally {
      hub.close();
    }
  });
});

// A working directory of its own (the test process keeps its own): ./models/code is a copy of
// tinymix-code.
const cwd = mkdtempSync(path.join(os.tmpdir(), 'resolve-models-'));
cpSync(path.join(MODELS_DIR, 'tinymix-code'), path.join(cwd, 'models/code'), { recursive: true });
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const files = (m: ResolvedModels, id: string): Promise<readonly string[]> =>
  m.resolve(id).then((source) => source.listFiles());

describe('resolveModels with local paths', () => {
  const math = path.join(MODELS_DIR, 'tinymix-math');

  it('reads absolute and ./ or ../ paths as folders, with no hub request and no base_model', async () => {
    const hub = await emptyHub();
    try {
      const ids = [math, './models/code'];
      const m = resolveModels({ 'hub-url': hub.url }, ids, { env: {}, cwd });
      expect((await m.resolve(math)).id).toBe(math);
      expect(await files(m, math)).toContain('model.safetensors.index.json');
      expect(await files(m, './models/code')).toContain('model.safetensors');
      const sub = path.join(cwd, 'models');
      const up = resolveModels({ 'hub-url': hub.url }, ['../models/code', './code'], { env: {}, cwd: sub });
      expect(await files(up, '../models/code')).toContain('model.safetensors');
      expect(await files(up, './code')).toContain('model.safetensors');
      expect(hub.seen).toEqual([]);
      // Not Hub repos, even when the hub is huggingface.co itself.
      const real = resolveModels({}, [math, './models/code', 'org/m'], { env: {}, cwd });
      expect([...real.hubModels]).toEqual(['org/m']);
      expect(real.hub?.hubUrl).toBe('https://huggingface.co');
      // base+adapter: each part placed on its own (a local base, a Hub adapter)
      const lora = resolveModels({}, [`${math}+org/lora`, 'org/m+./models/code'], { env: {}, cwd });
      expect([...lora.hubModels].sort()).toEqual(['org/lora', 'org/m']);
    } finally {
      hub.close();
    }
  });

  it('fails on a missing path naming it, not as "not a Hub model id", even with --models', async () => {
    const ids = ['./tinymix-cod', '/no/such/model', 'org/m'];
    const m = resolveModels({ models: MODELS_DIR }, ids, { env: {}, cwd });
    await expect(m.resolve('./tinymix-cod')).rejects.toThrow(
      `model './tinymix-cod' not found: no folder ${path.join(MODELS_DIR, 'tinymix-cod')} or ${path.join(cwd, 'tinymix-cod')}`,
    );
    await expect(m.resolve('/no/such/model')).rejects.toThrow(
      "model '/no/such/model' not found: no folder /no/such/model",
    );
    // --models alone still never goes to the network.
    await expect(m.resolve('org/m')).rejects.toThrow(
      `model 'org/m' not found: expected a folder ${path.join(MODELS_DIR, 'org/m')} or ${path.join(cwd, 'org/m')}`,
    );
    expect(m.hub).toBeUndefined();
  });

  it('mixes local folders with repos of a local hub, and says when a folder shadows a Hub-like name', async () => {
    const hub = await startHubServer({ root: MODELS_DIR });
    try {
      const logs: string[] = [];
      const ids = ['./models/code', math, 'tinymix-base', 'models/code@main'];
      const m = resolveModels({ 'hub-url': hub.url }, ids, { env: {}, cwd, onLog: (l) => logs.push(l) });
      expect(logs).toEqual([
        `models/code@main: reading the local folder ${path.join(cwd, 'models/code')} ` +
          '(a folder by that name is in the working directory; @main is ignored: a folder has no revisions)',
      ]);
      const local = await Promise.all([m.resolve('./models/code'), m.resolve(math)]);
      expect(local.map((s) => s.id)).toEqual(['./models/code', math]);
      expect(m.hub?.stats.requests).toBe(0);
      const base = await m.resolve('tinymix-base');
      expect(await base.listFiles()).toContain('model.safetensors');
      expect(m.hub?.stats.requests).toBeGreaterThan(0);
      expect(m.hubModels.size).toBe(0); // a local hub's names are not Hub repos either
    } finally {
      await hub.close();
    }
  });
});
