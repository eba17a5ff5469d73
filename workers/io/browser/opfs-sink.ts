/**
 * The fallback where the File System Access pickers are missing (Firefox, Safari): write into
 * the origin-private file system with synchronous access handles (dedicated workers only, and
 * the fastest way to write there), then offer the files as downloads. A shard is written as
 * NAME.partial and renamed when complete, so an interrupted shard never looks finished.
 *
 * The handle is opened in 'readwrite-unsafe' mode where the browser has it (Chromium), so
 * compute lanes can open the shard too and write their parts of a tensor themselves
 * (`laneTarget`, ./opfs-lane-file.ts). Such a handle no longer keeps a second writer out, so a
 * Web Lock on the file's path does: a second merge into the same folder (another tab) stops
 * with a message instead of writing over this one.
 */
import type { FileWriter, OutputSink } from '../source.ts';
import { directorySink } from './fsa-sink.ts';
import { openUnsafeHandle, writeAll, type SyncHandle } from './opfs-lane-file.ts';
import { StorageError, storageError } from './storage-errors.ts';

const folderParts = (folder: string): string[] => folder.split('/').filter(Boolean);

export async function opfsFolder(folder: string): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const part of folderParts(folder)) dir = await dir.getDirectoryHandle(part, { create: true });
  return dir;
}

/**
 * Holds the Web Lock `name` until the returned function is called; 'taken' when someone else
 * holds it, undefined where the browser has no Web Locks.
 */
function tryLock(name: string): Promise<(() => void) | 'taken' | undefined> {
  const locks = (navigator as { locks?: LockManager }).locks;
  if (!locks) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (!lock) return resolve('taken');
        resolve(release);
        return held;
      })
      .catch(reject);
  });
}

export async function opfsSink(folder: string): Promise<OutputSink> {
  const dir = await opfsFolder(folder);
  const base = directorySink(dir);
  return {
    ...base,
    name: `opfs:${folder}`,
    async createFile(path, size) {
      const tmp = `${path}.partial`;
      const lock = await tryLock(`merge-studio:opfs:${folderParts(folder).join('/')}/${tmp}`);
      if (lock === 'taken')
        throw new StorageError(
          'other',
          `another merge (in another tab?) is writing ${path} in ${folder}: wait for it to finish, or choose another output folder`,
        );
      let h: SyncHandle | undefined;
      let fh: FileSystemFileHandle;
      try {
        fh = await dir.getFileHandle(tmp, { create: true });
        h = await openUnsafeHandle(fh);
        h.truncate(size);
      } catch (e) {
        h?.close();
        lock?.();
        throw storageError(e, path);
      }
      const handle = h;
      const writeSync = (offset: number, data: Uint8Array): void => {
        try {
          writeAll(handle, offset, data);
        } catch (e) {
          throw storageError(e, path);
        }
      };
      const writer: FileWriter = {
        writeSync,
        acceptsShared: true, // write() takes an AllowSharedBufferSource
        // Without the mode (Firefox, Safari) the handle is exclusive: lanes send their pieces here.
        ...(handle.mode === 'readwrite-unsafe' && {
          laneTarget: { kind: 'opfs' as const, path: [...folderParts(folder), tmp] },
        }),
        write(offset, data) {
          try {
            writeSync(offset, data);
          } catch (e) {
            return Promise.reject(e as Error);
          }
          return Promise.resolve();
        },
        async close() {
          // No flush(): it waits until the whole shard is on the disk (an fsync: 170 ms of a
          // 615 MB shard here, seconds for a large model on a slow disk), and what it guards
          // against is a crash of the system, not of the tab or the browser, which the written
          // bytes survive. The CLI's files are not synced either.
          handle.close();
          try {
            await dir.removeEntry(path).catch(() => undefined);
            await (fh as unknown as { move(name: string): Promise<void> }).move(path);
          } finally {
            lock?.();
          }
        },
        async abort() {
          handle.close();
          await dir.removeEntry(tmp).catch(() => undefined);
          lock?.();
        },
      };
      return writer;
    },
  };
}
