/** Local model folders in Node: the CLI's `--models DIR` and the tests. */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  checkFileSize,
  SourceError,
  type ByteSource,
  type ModelResolver,
  type ModelSource,
} from '../source.ts';

export async function openFileSource(file: string, displayName = file): Promise<ByteSource> {
  const { size, mtimeMs } = await stat(file);
  const readInto = async (offset: number, buf: Uint8Array): Promise<void> => {
    const length = buf.byteLength;
    if (offset < 0 || offset + length > size) {
      throw new SourceError(
        `${displayName}: bytes ${offset}-${offset + length} are past the end (${size} bytes)`,
      );
    }
    const fh = await open(file, 'r');
    try {
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0)
          throw new SourceError(`${displayName}: file ended early at byte ${offset + done}`);
        done += bytesRead;
      }
    } finally {
      await fh.close();
    }
  };
  return {
    name: displayName,
    size,
    modified: mtimeMs,
    async read(offset, length) {
      const buf = new Uint8Array(length);
      await readInto(offset, buf);
      return buf;
    },
    readInto,
  };
}

export function folderModelSource(id: string, dir: string): ModelSource {
  return {
    id,
    async listFiles() {
      const out: string[] = [];
      const walk = async (rel: string): Promise<void> => {
        for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
          const p = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) await walk(p);
          else out.push(p);
        }
      };
      await walk('');
      return out.sort();
    },
    async readFile(p, _signal, maxBytes) {
      try {
        if (maxBytes !== undefined)
          checkFileSize(`${id}/${p}`, (await stat(path.join(dir, p))).size, maxBytes);
        return new Uint8Array(await readFile(path.join(dir, p)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    open: (p) => openFileSource(path.join(dir, p), `${id}/${p}`),
  };
}

/** Resolves a recipe's model name to the folder DIR/<name>. */
export function folderResolver(modelsDir: string): ModelResolver {
  return async (id) => {
    const dir = path.resolve(modelsDir, id);
    try {
      if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
    } catch {
      throw new SourceError(`model '${id}' not found: expected a folder ${dir}`);
    }
    return folderModelSource(id, dir);
  };
}

/**
 * A model that is one weights file (a pytorch merge's checkpoint): the file is its only file,
 * named by its base name, and its messages name it by `id`.
 */
export function fileModelSource(id: string, file: string): ModelSource {
  const name = path.basename(file);
  return {
    id,
    listFiles: async () => [name],
    readFile: async () => undefined,
    open: async (p) => {
      if (p !== name) throw new SourceError(`${id} is the file ${name}, not a folder holding ${p}`);
      return openFileSource(file, id);
    },
  };
}

/**
 * Resolves a pytorch merge's model, a path from the working directory (as mergekit-pytorch
 * takes them): a weights file, or a folder of weights.
 */
export function pathResolver(cwd = process.cwd()): ModelResolver {
  return async (id) => {
    const p = path.resolve(cwd, id);
    const st = await stat(p).catch(() => undefined);
    if (!st) throw new SourceError(`model '${id}' not found: no file or folder ${p}`);
    return st.isDirectory() ? folderModelSource(id, p) : fileModelSource(id, p);
  };
}
