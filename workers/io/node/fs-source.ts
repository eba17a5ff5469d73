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
