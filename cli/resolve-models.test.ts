/** Which hub the CLI reads from, and which token goes to it: $HF_TOKEN only to the hubs it is for. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { hubAccess, resolveModels } from './resolve-models.ts';

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
      const m = resolveModels({ 'hub-url': hub.url }, ['org/m'], { HF_TOKEN: TOKEN }, (l) => logs.push(l));
      await expect(m.resolve('org/m')).rejects.toThrow(/not found/);
      expect(hub.seen.length).toBeGreaterThan(0);
      for (const h of hub.seen) expect(h.authorization).toBeUndefined();
      expect(logs).toEqual([expect.stringMatching(/^HF_TOKEN is not sent to http:\/\/127\.0\.0\.1:\d+ /)]);

      const named = resolveModels({ 'hub-url': hub.url }, ['org/m'], {
        HF_TOKEN: TOKEN,
        HF_ENDPOINT: hub.url,
      });
      await expect(named.resolve('org/m')).rejects.toThrow(/not found/);
      expect(hub.seen.at(-1)?.authorization).toBe(`Bearer ${TOKEN}`);
    } finally {
      hub.close();
    }
  });
});
