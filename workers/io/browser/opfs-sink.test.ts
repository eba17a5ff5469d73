/**
 * The OPFS sink's choices, against a small stand-in for the origin-private file system and Web
 * Locks (the real ones are exercised in Chromium by e2e/merge/worker-merge.spec.ts): which sync
 * access handles it opens, when compute lanes may open a shard too, and the folder's lock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { opfsSink } from './opfs-sink.ts';
import { StorageError } from './storage-errors.ts';

interface FakeFile {
  readonly opens: (object | undefined)[];
  readonly written: Map<number, number>;
}

/** A folder tree whose files' handles report `mode` only when `modes` (as Chromium's do). */
function fakeOpfs(modes: boolean): { root: object; files: Map<string, FakeFile> } {
  const files = new Map<string, FakeFile>();
  const dir = (prefix: string): object => ({
    getDirectoryHandle: (name: string) => Promise.resolve(dir(`${prefix}${name}/`)),
    getFileHandle: (name: string) => {
      const path = `${prefix}${name}`;
      if (!files.has(path)) files.set(path, { opens: [], written: new Map() });
      const f = files.get(path)!;
      return Promise.resolve({
        createSyncAccessHandle: (opts?: { mode: string }) => {
          f.opens.push(opts);
          return Promise.resolve({
            ...(modes && { mode: opts?.mode ?? 'readwrite' }),
            write: (data: Uint8Array, { at }: { at: number }) => (
              f.written.set(at, data.byteLength),
              data.byteLength
            ),
            truncate: () => undefined,
            close: () => undefined,
          });
        },
        move: () => Promise.resolve(),
      });
    },
    removeEntry: () => Promise.resolve(),
  });
  return { root: dir(''), files };
}

/** Web Locks as the browser grants them: one holder per name; a waiter gives up when its signal fires. */
function fakeLocks(): LockManager {
  const held = new Set<string>();
  const waiting: (() => void)[] = [];
  return {
    request: (name: string, opts: { signal?: AbortSignal }, cb: (lock: object) => Promise<void>) =>
      new Promise<void>((resolve, reject) => {
        const attempt = (): boolean => {
          if (held.has(name)) return false;
          held.add(name);
          void cb({ name }).finally(() => {
            held.delete(name);
            waiting.splice(0).forEach((w) => w());
          });
          resolve();
          return true;
        };
        const retry = (): void => void (attempt() || waiting.push(retry));
        if (attempt()) return;
        waiting.push(retry);
        opts.signal?.addEventListener('abort', () => {
          const i = waiting.indexOf(retry);
          if (i >= 0) waiting.splice(i, 1); // an aborted request is never granted
          reject(opts.signal!.reason);
        });
      }),
  } as unknown as LockManager;
}

function stub(modes: boolean, locks: boolean): Map<string, FakeFile> {
  const { root, files } = fakeOpfs(modes);
  vi.stubGlobal('navigator', {
    storage: { getDirectory: () => Promise.resolve(root) },
    ...(locks && { locks: fakeLocks() }),
  });
  return files;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('OPFS sink', () => {
  it("with the handles' mode and Web Locks (Chromium): shards that lanes may open too, in a folder one merge holds", async () => {
    const files = stub(true, true);
    const sink = await opfsSink('runs/out');
    const w = await sink.createFile('model.safetensors', 100);
    expect(files.get('runs/out/model.safetensors.partial')!.opens).toEqual([{ mode: 'readwrite-unsafe' }]);
    expect(w.laneTarget).toEqual({ kind: 'opfs', path: ['runs', 'out', 'model.safetensors.partial'] });
    w.writeSync!(8, new Uint8Array(4));
    expect(files.get('runs/out/model.safetensors.partial')!.written.get(8)).toBe(4);

    // Another tab's merge into the same folder waits a moment, then stops with a message.
    const second = opfsSink('runs/out');
    await expect(second).rejects.toThrow(StorageError);
    await expect(second).rejects.toThrow(
      'another merge (in another tab?) is writing into runs/out: wait for it to finish, or choose another output folder',
    );
    await opfsSink('runs/other'); // another folder is free
    // One that starts while the holder finishes gets the folder once it is let go.
    const third = opfsSink('runs/out');
    await w.close();
    sink.release!();
    await expect(third).resolves.toBeDefined();
  });

  it('without the mode (Firefox, Safari): the handle is exclusive in effect, and the lanes send their pieces', async () => {
    stub(false, true);
    const w = await (await opfsSink('out')).createFile('model.safetensors', 100);
    expect(w.laneTarget).toBeUndefined();
  });

  it('without Web Locks: exclusive handles, the only guard left against a second writer', async () => {
    const files = stub(true, false);
    const sink = await opfsSink('out');
    const w = await sink.createFile('model.safetensors', 100);
    expect(files.get('out/model.safetensors.partial')!.opens).toEqual([undefined]);
    expect(w.laneTarget).toBeUndefined();
    sink.release!(); // nothing to let go of
  });
});
