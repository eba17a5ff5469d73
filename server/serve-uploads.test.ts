/**
 * `merge-studio serve DIR --uploads DIR2 --write-token T`: the banner says uploads are on (never
 * the token), a publish with the token lands in DIR2, and bad combinations are usage errors.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRepo, uploadFile } from '@huggingface/hub';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, ROOT } from '../scripts/lib/golden.ts';

const run = promisify(execFile);
const BIN = path.join(ROOT, 'bin/merge-studio.mjs');
const TOKEN = 'hf_ServeWriteTokenNeverPrinted';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'serve-uploads-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [BIN, ...args], { cwd: ROOT });
    return { code: 0, stderr: '' };
  } catch (e) {
    const r = e as { code: number; stderr: string };
    return { code: r.code, stderr: r.stderr };
  }
}

describe('merge-studio serve --uploads', () => {
  it('accepts publishing with a write token into the uploads folder, even from an empty DIR', async () => {
    const empty = path.join(tmp, 'empty');
    const uploads = path.join(tmp, 'uploads');
    await mkdir(empty);
    const args = [BIN, 'serve', empty, '--port', '0', '--uploads', uploads, '--write-token', TOKEN];
    const child = spawn(process.execPath, args, { cwd: ROOT });
    let out = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += String(d);
          const m = / at (http:\/\/\S+)\n[\s\S]*Ctrl-C/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
      });
      expect(out).toContain(`uploads: on, into ${uploads}`);
      expect(out).not.toContain(TOKEN);
      const noToken = await fetch(`${url}/api/repos/create`, {
        method: 'POST',
        body: JSON.stringify({ name: 'm', organization: 'me' }),
      });
      expect(noToken.status).toBe(401);
      await createRepo({ repo: 'me/m', hubUrl: url, accessToken: TOKEN });
      await uploadFile({
        repo: 'me/m',
        hubUrl: url,
        accessToken: TOKEN,
        useXet: false,
        file: { path: 'config.json', content: new Blob(['{}']) },
      });
      expect(await readFile(path.join(uploads, 'me', 'm', 'config.json'), 'utf8')).toBe('{}');
    } finally {
      child.kill('SIGINT');
    }
  });

  it('says uploads are off by default, and refuses bad upload options', async () => {
    const off = spawn(process.execPath, [BIN, 'serve', MODELS_DIR, '--port', '0'], { cwd: ROOT });
    const banner = await new Promise<string>((resolve) => {
      let out = '';
      off.stdout.on('data', (d: Buffer) => {
        out += String(d);
        if (out.includes('Ctrl-C')) resolve(out);
      });
    });
    off.kill('SIGINT');
    expect(banner).toContain('uploads: off');
    const cases: [string[], string][] = [
      [['--write-token', TOKEN], '--write-token goes with --uploads'],
      [['--uploads', path.join(tmp, 'u2'), '--write-token', 'secret'], 'starts with hf_'],
      [['--uploads', path.join(MODELS_DIR, 'uploads')], 'apart from'],
    ];
    for (const [extra, message] of cases) {
      const r = await cli(['serve', MODELS_DIR, '--port', '0', ...extra]);
      expect([r.code, r.stderr], extra.join(' ')).toEqual([2, expect.stringContaining(message)]);
      expect(r.stderr).not.toContain('secret');
    }
  });
});
