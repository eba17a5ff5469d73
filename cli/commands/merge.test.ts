/**
 * `merge --out DIR` holds DIR's lock file for the whole merge: a second merge into the folder
 * stops with a message and leaves the first's output alone; a lock left by a process that is
 * gone is taken over; the lock goes when the merge ends, also when it fails.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { FolderBusyError, LOCK_FILE } from '../../workers/io/node/folder-lock.ts';
import { mergeCommand } from './merge.ts';
import { TINYMIX_TIES } from '../../workers/engine/test-helpers.ts';

const TIES = TINYMIX_TIES;
const OTHER = TIES.replace(
  'weight: 0.5, density: 0.5}\n  - model: tinymix-math',
  'weight: 0.9, density: 0.5}\n  - model: tinymix-math',
);

let tmp: string;
let logs: string[];
const merge = (recipe: string, out: string, models = MODELS_DIR) =>
  mergeCommand([
    path.join(tmp, recipe),
    '--models',
    models,
    '--out',
    out,
    '--name',
    'merged',
    '--lanes',
    '0',
    '--shard-size',
    '600K',
  ]);

/** Every file of a folder, name to bytes. */
async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(dir)).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(path.join(dir, n))] as const)));
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cli-merge-lock-'));
  await writeFile(path.join(tmp, 'a.yml'), TIES);
  await writeFile(path.join(tmp, 'b.yml'), OTHER);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  logs = [];
  vi.spyOn(process.stdout, 'write').mockReturnValue(true);
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (logs.push(String(s)), true));
  return () => vi.restoreAllMocks();
});

describe('merge --out: one merge at a time in a folder', () => {
  it('two merges at once into one folder: the second stops with a message, the first’s output is intact', async () => {
    await merge('a.yml', path.join(tmp, 'ref-a'));
    await merge('b.yml', path.join(tmp, 'ref-b'));
    const out = path.join(tmp, 'shared');
    const [a, b] = await Promise.allSettled([merge('a.yml', out), merge('b.yml', out)]);
    const failed = [a, b].filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toBeInstanceOf(FolderBusyError);
    expect(failed[0]!.reason).toMatchObject({
      message: `another merge (process ${process.pid}) is writing into ${out}: wait for it to finish, or choose another output folder (if no merge is running, delete ${path.join(out, LOCK_FILE)})`,
    });
    const winner = a!.status === 'fulfilled' ? 'ref-a' : 'ref-b';
    const files = await filesOf(out);
    expect([...files.keys()]).not.toContain(LOCK_FILE);
    expect(files).toEqual(await filesOf(path.join(tmp, winner)));
    expect([...files.keys()].filter((f) => f.endsWith('.safetensors'))).toHaveLength(3);
  });

  it('takes over the lock of a merge whose process is gone, and lets go of it at the end', async () => {
    const out = path.join(tmp, 'stale');
    await mkdir(out);
    const pid = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(path.join(out, LOCK_FILE), `${pid} ${os.hostname()}\n`);
    await merge('a.yml', out);
    expect(logs).toContain(
      `${path.join(out, LOCK_FILE)}: taking over the lock of process ${pid}, which is no longer running\n`,
    );
    expect(await filesOf(out)).toEqual(await filesOf(path.join(tmp, 'ref-a')));
  });

  it('lets go of the lock when the merge fails', async () => {
    // A models folder whose tinymix-code has a cut-off weights file.
    const models = path.join(tmp, 'broken-models');
    await mkdir(path.join(models, 'tinymix-code'), { recursive: true });
    for (const m of ['tinymix-base', 'tinymix-math'])
      await symlink(path.join(MODELS_DIR, m), path.join(models, m));
    await copyFile(
      path.join(MODELS_DIR, 'tinymix-code/config.json'),
      path.join(models, 'tinymix-code/config.json'),
    );
    const weights = await readFile(path.join(MODELS_DIR, 'tinymix-code/model.safetensors'));
    await writeFile(path.join(models, 'tinymix-code/model.safetensors'), weights.subarray(0, 100));
    const out = path.join(tmp, 'failed');
    await expect(merge('a.yml', out, models)).rejects.toThrow();
    expect(await readdir(out)).not.toContain(LOCK_FILE);
    await merge('a.yml', out); // and the folder takes the next merge
  });
});
