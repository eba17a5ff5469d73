/**
 * Stand-ins for what the page hands the merge worker, for tests of its API in Node: a picked
 * folder (enough of FileSystemDirectoryHandle for the directory sink, its files in a Map) and
 * a model folder opened from disk (its files as File objects).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import type { LocalModelFiles } from './requests.ts';

/** A picked folder in memory: enough of FileSystemDirectoryHandle for directorySink. */
export function memoryFolder(name: string, files = new Map<string, Uint8Array>()) {
  const handle = (file: string) => ({
    kind: 'file',
    name: file,
    getFile: async () => new File([files.get(file)! as Uint8Array<ArrayBuffer>], file),
    createWritable: async () => {
      // Staged, committed on close() as Chromium does: an aborted file never appears.
      let staged = new Uint8Array(0);
      return {
        async write(p: { type: string; size?: number; position?: number; data?: Uint8Array }) {
          if (p.type === 'truncate') staged = new Uint8Array(p.size!);
          else {
            const end = p.position! + p.data!.byteLength;
            if (end > staged.byteLength) staged = Object.assign(new Uint8Array(end), staged).fill(0, staged.byteLength); // prettier-ignore
            staged.set(p.data!, p.position!);
          }
        },
        close: async () => void files.set(file, staged),
        abort: async () => undefined,
      };
    },
  });
  const dir = {
    kind: 'directory',
    name,
    getFileHandle: async (file: string, opts?: { create?: boolean }) => {
      if (!files.has(file)) {
        if (!opts?.create) throw new DOMException(`${file} not found`, 'NotFoundError');
        files.set(file, new Uint8Array(0));
      }
      return handle(file);
    },
    removeEntry: async (file: string) => void files.delete(file),
    async *entries() {
      for (const f of files.keys()) yield [f, handle(f)];
    },
  };
  return { dir: dir as unknown as FileSystemDirectoryHandle, files };
}

/** A model folder as the page hands it over: its files as File objects. */
export async function opened(id: string): Promise<LocalModelFiles> {
  const dir = path.join(MODELS_DIR, id);
  const names = await readdir(dir);
  return {
    files: await Promise.all(
      names.map(async (n) => ({ path: n, file: new File([await readFile(path.join(dir, n))], n) })),
    ),
  };
}
