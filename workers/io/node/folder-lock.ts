/**
 * One merge at a time in a CLI output folder. Two merges into one folder share the shards'
 * `.partial` paths and each renames its own into place, so the folder would mix the two while
 * one of them reports success. A merge creates LOCK_FILE exclusively ('wx') with its process id
 * and host, and removes it when it ends, whether it succeeded or failed.
 *
 * A lock left by a process that is gone (killed, Ctrl-C) is taken over. Left to chance: two
 * merges that find the same stale lock at the same instant (both remove it, the later removal
 * may take the other's fresh lock); a lock from another host (a shared folder), whose process
 * cannot be checked, counts as held; and a dead process's id reused by a live one makes its lock
 * look held. The message says which file to delete in those cases.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const LOCK_FILE = '.merge-studio-lock';

export class FolderBusyError extends Error {
  override readonly name: string = 'FolderBusyError';
}

export interface FolderLock {
  /** Removes the lock file, if it is still this process's. */
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly host: string;
}

const parse = (text: string): Holder | undefined => {
  const m = /^(\d+) (.*)\n$/.exec(text);
  return m ? { pid: Number(m[1]), host: m[2]! } : undefined;
};

/** Whether the process runs on this host (EPERM: it does, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the lock file if none exists; false when one does. */
async function create(file: string, content: string): Promise<boolean> {
  try {
    const fh = await open(file, 'wx');
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Takes `dir`'s lock (creating the folder); throws FolderBusyError while another merge holds it. */
export async function lockFolder(dir: string, onLog?: (line: string) => void): Promise<FolderLock> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const content = `${process.pid} ${os.hostname()}\n`;
  // Twice at most: once more after taking a stale lock over (unless another took it meanwhile).
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await create(file, content)) {
      return {
        async release() {
          const now = await readFile(file, 'utf8').catch(() => undefined);
          if (now === content) await rm(file, { force: true });
        },
      };
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // its holder has just let go
    // An unreadable holder may be one that has created the file and not yet written it.
    const holder = parse(text);
    if (!holder || holder.host !== os.hostname() || alive(holder.pid)) throw busy(dir, file, holder);
    onLog?.(`${file}: taking over the lock of process ${holder.pid}, which is no longer running`);
    await rm(file, { force: true });
  }
  throw busy(dir, file, undefined);
}

function busy(dir: string, file: string, holder: Holder | undefined): FolderBusyError {
  const who = holder
    ? `process ${holder.pid}${holder.host === os.hostname() ? '' : ` on ${holder.host}`}`
    : 'another process';
  return new FolderBusyError(
    `another merge (${who}) is writing into ${dir}: wait for it to finish, or choose another output folder (if no merge is running, delete ${file})`,
  );
}
