/**
 * A save target (a picked folder or an OPFS folder) for the publisher: only the files a job
 * reported writing (never what else the folder holds: other merges' files, an interrupted run's
 * state), each a File backed by the disk.
 */
import type { FolderReader } from '../../publish/folder-files.ts';
import type { SaveTarget } from '../../runtime/requests.ts';
import { opfsFolder } from './opfs-sink.ts';

export async function targetFolder(target: SaveTarget, only: readonly string[]): Promise<FolderReader> {
  const dir = target.kind === 'opfs' ? await opfsFolder(target.folder) : target.handle;
  const wanted = new Set(only);
  return {
    async list() {
      const names: string[] = [];
      for await (const [name, handle] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>)
        if (handle.kind === 'file' && wanted.has(name)) names.push(name);
      return names;
    },
    open: async (name) => (await dir.getFileHandle(name)).getFile(),
  };
}
