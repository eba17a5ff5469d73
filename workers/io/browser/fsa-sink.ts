/**
 * Writing a merged model into a folder the user picked (File System Access API). createWritable
 * stages each file and commits it on close(), so an interrupted shard never appears as a
 * finished file; it works in dedicated workers with the handle the page passed over.
 */
import type { FileWriter, OutputSink } from '../source.ts';
import { storageError } from './storage-errors.ts';

interface Writable {
  write(
    p: { type: 'write'; position: number; data: BufferSource } | { type: 'truncate'; size: number },
  ): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

async function guard<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw storageError(e, what);
  }
}

/**
 * Runs `f` on a fresh writable; when it fails, aborts the writable before rethrowing, so its
 * swap file goes at once rather than when the worker ends (the caller never got a writer).
 */
async function orAbort<T>(w: Writable, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    await w.abort().catch(() => undefined);
    throw e;
  }
}

async function fileHandle(
  dir: FileSystemDirectoryHandle,
  path: string,
  create: boolean,
): Promise<FileSystemFileHandle | undefined> {
  const parts = path.split('/');
  let d = dir;
  for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p, { create });
  try {
    return await d.getFileHandle(parts[parts.length - 1]!, { create });
  } catch (e) {
    if ((e as { name?: string }).name === 'NotFoundError' && !create) return undefined;
    throw e;
  }
}

export function directorySink(dir: FileSystemDirectoryHandle): OutputSink {
  return {
    name: dir.name,
    createFile: (path, size) =>
      guard(path, async () => {
        const h = (await fileHandle(dir, path, true))!;
        const w = (await (h as unknown as { createWritable(o: object): Promise<Writable> }).createWritable({
          keepExistingData: false,
        })) as Writable;
        await orAbort(w, () => w.write({ type: 'truncate', size }));
        const writer: FileWriter = {
          write: (offset, data) =>
            guard(path, () =>
              w.write({ type: 'write', position: offset, data: data as Uint8Array<ArrayBuffer> }),
            ),
          close: () => guard(path, () => w.close()),
          abort: () => w.abort().catch(() => undefined),
        };
        return writer;
      }),
    writeFile: (path, data) =>
      guard(path, async () => {
        const h = (await fileHandle(dir, path, true))!;
        const w = await (h as unknown as { createWritable(): Promise<Writable> }).createWritable();
        const bytes =
          typeof data === 'string' ? new TextEncoder().encode(data) : (data as Uint8Array<ArrayBuffer>);
        await orAbort(w, () => w.write({ type: 'write', position: 0, data: bytes }));
        await w.close();
      }),
    async sizeOf(path) {
      const h = await fileHandle(dir, path, false).catch(() => undefined);
      return h ? (await h.getFile()).size : undefined;
    },
    async readFile(path) {
      const h = await fileHandle(dir, path, false).catch(() => undefined);
      return h ? new Uint8Array(await (await h.getFile()).arrayBuffer()) : undefined;
    },
    async remove(path) {
      const parts = path.split('/');
      let d = dir;
      for (const p of parts.slice(0, -1)) d = await d.getDirectoryHandle(p);
      await d.removeEntry(parts[parts.length - 1]!).catch(() => undefined);
    },
    async list() {
      const names: string[] = [];
      const entries = (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
      for await (const [name, handle] of entries) if (handle.kind === 'file') names.push(name);
      return names;
    },
  };
}
