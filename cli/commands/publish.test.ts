/**
 * `merge-studio publish`: a finished folder to the local hub (uploads on), its exit codes, and
 * a folder a merge has not finished refused before any request.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startHubServer } from '../../server/hub-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MODEL = path.join(ROOT, 'test-data/tinymix/tinymix-math');
const tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-publish-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, 'bin/merge-studio.mjs'), 'publish', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, HF_TOKEN: '' },
      },
    );
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('merge-studio publish', () => {
  it('publishes a finished folder, and refuses an unfinished one or a bad repo with exit 2', async () => {
    const uploads = path.join(tmp, 'uploads');
    const requests: string[] = [];
    const hub = await startHubServer({
      root: path.join(ROOT, 'test-data/tinymix'),
      uploads: { root: uploads, tokens: ['hf_cli_writer'] },
      onRequest: (e) => requests.push(`${e.method} ${e.path}`),
    });
    try {
      const ok = await cli(
        MODEL,
        '--repo',
        'me/math',
        '--hub-url',
        hub.url,
        '--token',
        'hf_cli_writer',
        '-m',
        'hello',
      );
      expect(ok.stderr).toContain(`to me/math on ${hub.url}`);
      expect(ok.stdout).toContain(`published 8 files`);
      expect(ok.stdout).toContain(`to ${hub.url}/me/math (new repo)`);
      expect(ok.code).toBe(0);
      expect((await readdir(path.join(uploads, 'me/math'))).sort()).toEqual((await readdir(MODEL)).sort());

      const denied = await cli(MODEL, '--repo', 'me/math2', '--hub-url', hub.url);
      expect(denied.stderr).toMatch(/needs a token to publish/);
      expect(denied.code).toBe(2);

      const unfinished = path.join(tmp, 'unfinished');
      await cp(MODEL, unfinished, { recursive: true });
      await rm(path.join(unfinished, 'config.json'));
      const before = requests.length;
      const half = await cli(
        unfinished,
        '--repo',
        'me/half',
        '--hub-url',
        hub.url,
        '--token',
        'hf_cli_writer',
      );
      expect(half.stderr).toMatch(/does not hold a finished model: config.json is missing/);
      expect(half.code).toBe(2);
      expect(requests.length).toBe(before);

      const bad = await cli(MODEL, '--repo', 'math', '--hub-url', hub.url);
      expect(bad.stderr).toMatch(/write your-name\/model-name/);
      expect(bad.code).toBe(2);
    } finally {
      await hub.close();
    }
  });
});
