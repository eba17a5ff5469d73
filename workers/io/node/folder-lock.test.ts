/** The CLI output folder's lock file: held, busy, stale, another host's, let go. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderBusyError, LOCK_FILE, lockFolder } from './folder-lock.ts';

let tmp: string;
let dir: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'folder-lock-'));
  dir = path.join(tmp, 'out');
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const ours = `${process.pid} ${os.hostname()}\n`;

/** The id of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

describe('lockFolder', () => {
  it('creates the folder and the lock; a second merge stops with a message naming the folder and the holder', async () => {
    const lock = await lockFolder(dir);
    expect(await readFile(path.join(dir, LOCK_FILE), 'utf8')).toBe(ours);
    const second = lockFolder(dir);
    await expect(second).rejects.toThrow(FolderBusyError);
    await expect(second).rejects.toThrow(
      `another merge (process ${process.pid}) is writing into ${dir}: wait for it to finish, or choose ` +
        `another output folder (if no merge is running, delete ${path.join(dir, LOCK_FILE)})`,
    );
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
    await (await lockFolder(dir)).release(); // free again
  });

  it('takes over the lock of a process that is gone, and says so', async () => {
    const pid = deadPid();
    await lockFolder(dir).then((l) => l.release()); // the folder
    await writeFile(path.join(dir, LOCK_FILE), `${pid} ${os.hostname()}\n`);
    const logs: string[] = [];
    const lock = await lockFolder(dir, (l) => logs.push(l));
    expect(logs).toEqual([
      `${path.join(dir, LOCK_FILE)}: taking over the lock of process ${pid}, which is no longer running`,
    ]);
    expect(await readFile(path.join(dir, LOCK_FILE), 'utf8')).toBe(ours);
    await lock.release();
  });

  it('counts as held: a lock from another host (its process cannot be checked), or one not yet written', async () => {
    await lockFolder(dir).then((l) => l.release());
    await writeFile(path.join(dir, LOCK_FILE), `${deadPid()} build-server-7\n`);
    await expect(lockFolder(dir)).rejects.toThrow(
      /^another merge \(process \d+ on build-server-7\) is writing into/,
    );
    await writeFile(path.join(dir, LOCK_FILE), '');
    await expect(lockFolder(dir)).rejects.toThrow(/^another merge \(another process\) is writing into/);
  });

  it('lets go only of its own lock', async () => {
    const lock = await lockFolder(dir);
    await writeFile(path.join(dir, LOCK_FILE), `1 ${os.hostname()}\n`); // taken over (by mistake)
    await lock.release();
    expect(await readdir(dir)).toEqual([LOCK_FILE]);
  });
});
