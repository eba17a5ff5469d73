/**
 * Stand-ins for browser APIs in Node tests: Web Locks as the browser grants them, and a picked
 * folder (a FileSystemDirectoryHandle) whose files are strings. Every call settles a few
 * microtasks later, as the real ones do, so concurrent callers interleave.
 */

/** Lets other callers run between the steps of one (the real APIs hop to another thread). */
const hop = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await Promise.resolve();
};

/**
 * Web Locks: one holder per name, waiters granted in order when it lets go; `ifAvailable` gets
 * null when held; a waiter gives up when its signal fires; `query` lists the held names.
 */
export function fakeLocks(): LockManager {
  const held = new Set<string>();
  const waiting: (() => boolean)[] = [];
  const grant = (name: string, cb: (lock: Lock | null) => unknown): Promise<unknown> => {
    held.add(name);
    return Promise.resolve(cb({ name, mode: 'exclusive' } as Lock)).finally(() => {
      held.delete(name);
      for (const w of waiting.splice(0)) if (!w()) waiting.push(w);
    });
  };
  return {
    request: (name: string, opts: LockOptions, cb: (lock: Lock | null) => unknown) =>
      new Promise((resolve, reject) => {
        if (!held.has(name)) return void grant(name, cb).then(resolve, reject);
        if (opts.ifAvailable) return void Promise.resolve(cb(null)).then(resolve, reject);
        const attempt = (): boolean => {
          if (held.has(name)) return false;
          void grant(name, cb).then(resolve, reject);
          return true;
        };
        waiting.push(attempt);
        opts.signal?.addEventListener('abort', () => {
          const i = waiting.indexOf(attempt);
          if (i < 0) return; // granted already
          waiting.splice(i, 1);
          reject(opts.signal!.reason);
        });
      }),
    query: () => Promise.resolve({ held: [...held].map((name) => ({ name })), pending: [] }),
  } as unknown as LockManager;
}

/** A picked folder: `files` maps a name to its text (directly in the folder; enough here). */
export function fakeFolder(name: string, files = new Map<string, string>()): FileSystemDirectoryHandle {
  const fileHandle = (file: string) => ({
    kind: 'file',
    name: file,
    getFile: async () => {
      await hop();
      const text = files.get(file) ?? '';
      return { size: text.length, text: () => Promise.resolve(text) };
    },
    createWritable: async () => {
      await hop();
      let text = '';
      return {
        write: async (data: string) => void (text += data),
        close: async () => {
          await hop();
          files.set(file, text);
        },
      };
    },
  });
  return {
    kind: 'directory',
    name,
    getFileHandle: async (file: string, opts?: { create?: boolean }) => {
      await hop();
      if (!files.has(file)) {
        if (!opts?.create) throw new DOMException(`${file} not found`, 'NotFoundError');
        files.set(file, '');
      }
      return fileHandle(file);
    },
  } as unknown as FileSystemDirectoryHandle;
}
