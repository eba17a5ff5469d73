/**
 * In-memory sources and sinks: model folders given as File/Blob objects (a folder picked or
 * dropped in the browser) or bytes (tests), and an output folder held in memory (previews and
 * sweeps of small models, tests).
 */
import {
  checkFileSize,
  SourceError,
  streamInto,
  type ByteSource,
  type FileWriter,
  type ModelSource,
  type OutputSink,
} from './source.ts';

function blobSource(name: string, blob: Blob): ByteSource {
  return {
    name,
    size: blob.size,
    ...(blob instanceof File && { modified: blob.lastModified }),
    async read(offset, length) {
      if (offset < 0 || offset + length > blob.size) {
        throw new SourceError(
          `${name}: bytes ${offset}-${offset + length} are past the end (${blob.size} bytes)`,
        );
      }
      const buf = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      if (buf.byteLength !== length)
        throw new SourceError(`${name}: read ${buf.byteLength} bytes of ${length}`);
      return buf;
    },
    async readInto(offset, target) {
      if (offset < 0 || offset + target.byteLength > blob.size) {
        throw new SourceError(
          `${name}: bytes ${offset}-${offset + target.byteLength} are past the end (${blob.size} bytes)`,
        );
      }
      await streamInto(blob.slice(offset, offset + target.byteLength).stream(), target, name);
    },
  };
}

/** A model whose files are Blobs (File objects from a directory picker or drop) or bytes. */
export function blobModelSource(id: string, files: ReadonlyMap<string, Blob | Uint8Array>): ModelSource {
  const blob = (p: string): Blob | undefined => {
    const f = files.get(p);
    return f === undefined ? undefined : f instanceof Blob ? f : new Blob([f as Uint8Array<ArrayBuffer>]);
  };
  return {
    id,
    listFiles: () => Promise.resolve([...files.keys()].sort()),
    async readFile(p, _signal, maxBytes) {
      const b = blob(p);
      if (!b) return undefined;
      checkFileSize(`${id}/${p}`, b.size, maxBytes);
      return new Uint8Array(await b.arrayBuffer());
    },
    open(p) {
      const b = blob(p);
      if (!b) return Promise.reject(new SourceError(`${id} has no file ${p}`));
      return Promise.resolve(blobSource(`${id}/${p}`, b));
    },
  };
}

export interface MemorySink extends OutputSink {
  readonly files: Map<string, Uint8Array>;
}

export function memorySink(name = 'memory'): MemorySink {
  const files = new Map<string, Uint8Array>();
  return {
    name,
    files,
    createFile(path, size) {
      const buf = new Uint8Array(size);
      const writer: FileWriter = {
        write(offset, data) {
          buf.set(data, offset);
          return Promise.resolve();
        },
        close() {
          files.set(path, buf);
          return Promise.resolve();
        },
        abort: () => Promise.resolve(),
      };
      return Promise.resolve(writer);
    },
    writeFile(path, data) {
      files.set(path, typeof data === 'string' ? new TextEncoder().encode(data) : data);
      return Promise.resolve();
    },
    sizeOf: (path) => Promise.resolve(files.get(path)?.byteLength),
    readFile: (path) => Promise.resolve(files.get(path)),
    list: () => Promise.resolve([...files.keys()].filter((p) => !p.includes('/'))),
    remove(path) {
      files.delete(path);
      return Promise.resolve();
    },
  };
}
