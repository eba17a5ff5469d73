/**
 * The fallback where the File System Access pickers are missing (Firefox, Safari): write into
 * the origin-private file system with synchronous access handles (dedicated workers only, and
 * the fastest way to write there), then offer the files as downloads. A shard is written as
 * NAME.partial and renamed when complete, so an interrupted shard never looks finished.
 */
import type { FileWriter, OutputSink } from '../source.ts';
import { directorySink } from './fsa-sink.ts';
import { storageError } from './storage-errors.ts';

/** FileSystemSyncAccessHandle (lib.webworker only; declared here so DOM-typed code compiles). */
interface SyncHandle {
  write(data: BufferSource, opts: { at: number }): number;
  truncate(size: number): void;
  close(): void;
}

export async function opfsFolder(folder: string): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const part of folder.split('/').filter(Boolean))
    dir = await dir.getDirectoryHandle(part, { create: true });
  return dir;
}

export async function opfsSink(folder: string): Promise<OutputSink> {
  const dir = await opfsFolder(folder);
  const base = directorySink(dir);
  return {
    ...base,
    name: `opfs:${folder}`,
    async createFile(path, size) {
      const tmp = `${path}.partial`;
      let h: SyncHandle;
      let fh: FileSystemFileHandle;
      try {
        fh = await dir.getFileHandle(tmp, { create: true });
        h = await (
          fh as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }
        ).createSyncAccessHandle();
        h.truncate(size);
      } catch (e) {
        throw storageError(e, path);
      }
      const writeSync = (offset: number, data: Uint8Array): void => {
        try {
          let done = 0;
          while (done < data.byteLength)
            done += h.write(data.subarray(done) as Uint8Array<ArrayBuffer>, { at: offset + done });
        } catch (e) {
          throw storageError(e, path);
        }
      };
      const writer: FileWriter = {
        writeSync,
        acceptsShared: true, // write() takes an AllowSharedBufferSource
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
          h.close();
          await dir.removeEntry(path).catch(() => undefined);
          await (fh as unknown as { move(name: string): Promise<void> }).move(path);
        },
        async abort() {
          h.close();
          await dir.removeEntry(tmp).catch(() => undefined);
        },
      };
      return writer;
    },
  };
}
