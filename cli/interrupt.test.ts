/**
 * Ctrl-C on a running merge: the real command, in its own process, reading from a slow local
 * hub. It stops within seconds with exit code 130, releases the folder's lock, leaves no
 * config.json (nothing that looks like a complete model), and the same command run again
 * resumes and finishes.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../scripts/lib/golden.ts';
import { startHubServer, type HubServer } from '../server/hub-server.ts';
import { TINYMIX_TIES } from '../workers/engine/test-helpers.ts';
import { LOCK_FILE } from '../workers/io/node/folder-lock.ts';

const BIN = path.resolve(import.meta.dirname, '../bin/merge-studio.mjs');

let tmp: string;
let slow: HubServer;
let fast: HubServer;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'interrupt-'));
  await writeFile(path.join(tmp, 'ties.yml'), TINYMIX_TIES);
  // ~4.8 MB to read: about 12 s at this rate, so the merge is surely running when interrupted.
  slow = await startHubServer({ root: MODELS_DIR, bytesPerSecond: 400_000 });
  fast = await startHubServer({ root: MODELS_DIR });
});

afterAll(async () => {
  await Promise.all([slow.close(), fast.close()]);
  await rm(tmp, { recursive: true, force: true });
});

/** Runs `merge` against `hub`; with `interruptOn`, sends SIGINT once stderr shows it. */
function merge(hub: HubServer, out: string, interruptOn?: RegExp) {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'merge',
      path.join(tmp, 'ties.yml'),
      '--hub-url',
      hub.url,
      '--out',
      out,
      '--lanes',
      '0',
      '--shard-size',
      '400K',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let stdout = '';
  let sentAt: number | undefined;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (interruptOn && sentAt === undefined && interruptOn.test(stderr)) {
      sentAt = performance.now();
      child.kill('SIGINT');
    }
  });
  return new Promise<{ code: number | null; stderr: string; stdout: string; stopMs: number | undefined }>(
    (resolve) =>
      child.on('close', (code) =>
        resolve({
          code,
          stderr,
          stdout,
          stopMs: sentAt === undefined ? undefined : performance.now() - sentAt,
        }),
      ),
  );
}

describe('Ctrl-C on merge', () => {
  it('stops with 130, frees the folder, leaves no config.json; the same command resumes', async () => {
    const out = path.join(tmp, 'out');
    const cut = await merge(slow, out, /progress: [1-9]\d*%/);
    expect(cut.code, cut.stderr).toBe(130);
    expect(cut.stopMs).toBeLessThan(5000);
    expect(cut.stderr).toContain('cancelling (press Ctrl-C again to quit at once)');
    expect(cut.stderr).toContain('cancelled: nothing that looks complete was written');
    const left = await readdir(out);
    expect(left).not.toContain('config.json');
    expect(left).not.toContain(LOCK_FILE);
    const again = await merge(fast, out);
    expect(again.code, again.stderr).toBe(0);
    expect(await readdir(out)).toContain('config.json');
  }, 60_000);
});
