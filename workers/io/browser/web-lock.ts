/**
 * Web Locks held for as long as a job runs, rather than for one callback: the lock's callback
 * returns a promise that settles only when the holder lets go. The browser lets go by itself
 * when the tab or worker that holds a lock goes away (closed, crashed, terminated), so a lock
 * never outlives its merge. Used by the picked folder's lock (./folder-lock.ts) and by the page
 * for running jobs (src/engine/job-lock.ts).
 */

/**
 * How long a merge waits for its output folder's lock: a cancelled merge's worker that had to be
 * terminated lets go of it only once the browser has noticed, a moment after the page has.
 */
export const FOLDER_LOCK_WAIT_MS = 1000;

/** What a merge says when another one holds its output folder. */
export const folderBusy = (folder: string): string =>
  `another merge (in another tab?) is writing into ${folder}: wait for it to finish, or choose another output folder`;

/**
 * The lock a job holds on its folder of the origin-private file system (./opfs-sink.ts), and
 * that deleting the folder from the studio's storage list takes first.
 */
export const opfsFolderLock = (folder: string): string =>
  `merge-studio:opfs:${folder.split('/').filter(Boolean).join('/')}`;

/** A held lock's release; 'taken' while another holder has it; undefined without Web Locks. */
export type HeldLock = (() => void) | 'taken' | undefined;

function lockManager(): LockManager | undefined {
  return typeof navigator === 'undefined' ? undefined : (navigator as { locks?: LockManager }).locks;
}

/**
 * Holds the lock `name` until the returned function is called. With `waitMs` 0 it is taken only
 * if free at once; otherwise the request waits up to `waitMs` for the holder to let go.
 */
export function holdLock(name: string, waitMs: number): Promise<HeldLock> {
  const locks = lockManager();
  if (!locks) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const options: LockOptions = waitMs > 0 ? { signal: AbortSignal.timeout(waitMs) } : { ifAvailable: true };
    locks
      .request(name, options, (lock) => {
        if (!lock) {
          resolve('taken');
          return undefined;
        }
        resolve(release);
        return held;
      })
      .catch((e: unknown) =>
        e instanceof DOMException && e.name === 'TimeoutError' ? resolve('taken') : reject(e),
      );
  });
}

/** Runs `f` holding the lock `name` (waiting as long as it takes); without Web Locks, just runs it. */
export async function withLock<T>(name: string, f: () => Promise<T>): Promise<T> {
  const locks = lockManager();
  if (!locks) return f();
  let result!: T;
  await locks.request(name, {}, async () => {
    result = await f();
  });
  return result;
}

/** Names of the locks held now (in any tab of this origin); empty without Web Locks. */
export async function heldLockNames(): Promise<Set<string>> {
  const locks = lockManager();
  if (!locks) return new Set();
  const { held = [] } = await locks.query();
  return new Set(held.flatMap((l) => (l.name === undefined ? [] : [l.name])));
}
