/**
 * The output writer: a worker that owns the merge's shard files, so that writing them (1.3 GB
 * for a 1 GB-per-input merge) does not take the merge worker's thread, which reads the inputs.
 * src/engine starts it with the compute lanes and hands one end of a channel to the merge
 * worker, which then creates its shards here (`withRemoteShards`). Compute lanes' output pieces
 * (SharedArrayBuffer views) pass through the merge worker to here without a copy.
 */
import * as Comlink from 'comlink';
import type { FileWriter, OutputSink } from '../io/source.ts';
import type { SaveTarget } from './requests.ts';
import { sinkFor } from './sink-for.ts';

let opened: OutputSink | undefined;
const files = new Map<number, FileWriter>();
let nextId = 1;

function fileOf(id: number): FileWriter {
  const w = files.get(id);
  if (!w) throw new Error(`writer: no open file ${id}`);
  return w;
}

export const writerApi = {
  /** Opens the save target here (a picked folder's handle or an OPFS folder name). */
  async open(target: SaveTarget): Promise<void> {
    opened = await sinkFor(target);
  },
  async createFile(path: string, size: number): Promise<number> {
    if (!opened) throw new Error('writer: open() first');
    const id = nextId++;
    files.set(id, await opened.createFile(path, size));
    return id;
  },
  write(id: number, offset: number, data: Uint8Array): Promise<void> {
    const w = fileOf(id);
    // A picked folder's writable stream takes no shared memory: copy those pieces.
    const bytes = !w.acceptsShared && !(data.buffer instanceof ArrayBuffer) ? data.slice() : data;
    if (w.writeSync) {
      w.writeSync(offset, bytes);
      return Promise.resolve();
    }
    return w.write(offset, bytes);
  },
  async close(id: number): Promise<void> {
    await fileOf(id).close();
    files.delete(id);
  },
  async abort(id: number): Promise<void> {
    await fileOf(id).abort();
    files.delete(id);
  },
};

export type WriterApi = typeof writerApi;

/**
 * `sink`, with its shard files created and written in the writer worker at the other end of
 * `port` (which has opened the same target); the small files stay here.
 */
export async function withRemoteShards(
  sink: OutputSink,
  port: MessagePort,
  target: SaveTarget,
): Promise<OutputSink> {
  const remote = Comlink.wrap<WriterApi>(port);
  await remote.open(target);
  return {
    ...sink,
    async createFile(path, size) {
      const id = await remote.createFile(path, size);
      return {
        acceptsShared: true, // views of shared memory are posted without a copy
        write: (offset, data) => remote.write(id, offset, data),
        close: () => remote.close(id),
        abort: () => remote.abort(id),
      };
    },
  };
}
