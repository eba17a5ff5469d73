/**
 * The fallback where the File System Access pickers are missing (Firefox, Safari): write into
 * the origin-private file system with synchronous access handles (dedicated workers only, and
 * the fastest way to write there), then offer the files as downloads. A shard is written as
 * NAME.partial and renamed when complete, so an interrupted shard never looks finished.
 *
 * A merge holds a Web Lock on its folder until it ends (`release`), so a second merge into the
 * same folder (another tab) stops at once with a message instead of writing over this one. With
 * the lock held, shards are opened in 'readwrite-unsafe' mode where the browser has it
 * (Chromium), so compute lanes can open the shard too and write their parts of a tensor
 * themselves (`laneTarget`, ./opfs-lane-file.ts); without Web Locks the handles stay exclusive,
 * the only guard left against a second writer.
 */
import type { FileWriter, OutputSink } from '../source.ts';
import { directorySink } from './fsa-sink.ts';
import {
  openExclusiveHandle,
  openUnsafeHandle,
  opfsDir,
  writeAll,
  type SyncHandle,
} from './opfs-lane-file.ts';
import { StorageError, storageError } from './storage-errors.ts';
import { folderBusy, FOLDER_LOCK_WAIT_MS, holdLock, opfsFolderLock } from './web-lock.ts';

const folderParts = (folder: string): string[] => folder.split('/').filter(Boolean);

export const opfsFolder = (folder: string): Promise<FileSystemDirectoryHandle> =>
  opfsDir(folderParts(folder), true);

export async function opfsSink(folder: string): Promise<OutputSink> {
  const lock = await holdLock(opfsFolderLock(folder), FOLDER_LOCK_WAIT_MS);
  if (lock === 'taken') throw new StorageError('other', folderBusy(folder));
  let dir: FileSystemDirectoryHandle;
  try {
    dir = await opfsFolder(folder);
  } catch (e) {
    lock?.();
    throw storageError(e, folder);
  }
  const base = directorySink(dir);
  return {
    ...base,
    name: `opfs:${folder}`,
    release: () => lock?.(),
    async createFile(path, size) {
      // A file in a subfolder (a model's processor files: fill-missing copies them) goes there.
      const subfolders = path.split('/');
      const leaf = subfolders.pop()!;
      const tmp = `${leaf}.partial`;
      let h: SyncHandle | undefined;
      let fh: FileSystemFileHandle;
      let parent = dir;
      try {
        for (const p of subfolders) parent = await parent.getDirectoryHandle(p, { create: true });
        fh = await parent.getFileHandle(tmp, { create: true });
        h = lock ? await openUnsafeHandle(fh) : await openExclusiveHandle(fh);
        h.truncate(size);
      } catch (e) {
        h?.close();
        throw storageError(e, path);
      }
      const handle = h;
      const writeSync = (offset: number, data: Uint8Array): void => writeAll(handle, offset, data, path);
      const writer: FileWriter = {
        writeSync,
        acceptsShared: true, // write() takes an AllowSharedBufferSource
        // Without the mode (Firefox, Safari) the handle is exclusive: lanes send their pieces here.
        ...(handle.mode === 'readwrite-unsafe' && {
          laneTarget: { kind: 'opfs' as const, path: [...folderParts(folder), ...subfolders, tmp] },
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
          await parent.removeEntry(leaf).catch(() => undefined);
          await (fh as unknown as { move(name: string): Promise<void> }).move(leaf);
        },
        async abort() {
          handle.close();
          await parent.removeEntry(tmp).catch(() => undefined);
        },
      };
      return writer;
    },
  };
}
