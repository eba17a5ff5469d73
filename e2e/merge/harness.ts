/**
 * A page for end-to-end tests of the merge worker without the UI: Playwright calls these
 * functions through page.evaluate. It uses the same client code as the studio.
 */
import { readInputs, startMerge, type MergeHandle } from '../../src/engine/merge-client.ts';
import type { MergeRequest, SaveTarget } from '../../workers/runtime/requests.ts';
import type { MergeProgress, MergeResult } from '../../workers/protocol.ts';
import { FOLDER_ID_FILE } from '../../workers/io/browser/folder-lock.ts';

let current: Promise<MergeHandle> | undefined;
const progress: MergeProgress[] = [];
const logs: string[] = [];

async function sha256(data: ArrayBuffer): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return [...h].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function dirOf(folder: string): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const p of folder.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(p, { create: true });
  return dir;
}

const harness = {
  progress,
  logs,
  start(request: MergeRequest, folder: string, kind: 'opfs' | 'directory' = 'opfs'): void {
    progress.length = 0;
    logs.length = 0;
    const targetPromise: Promise<SaveTarget> =
      kind === 'opfs'
        ? Promise.resolve({ kind, folder })
        : dirOf(folder).then((handle) => ({ kind, handle }));
    current = targetPromise.then((target) =>
      startMerge(request, target, {
        onProgress: (p) => progress.push(p),
        onLog: (l) => logs.push(l),
      }),
    );
  },
  async wait(): Promise<MergeResult | { error: string; name: string }> {
    try {
      return await (
        await current!
      ).result;
    } catch (e) {
      return { error: (e as Error).message, name: (e as Error).name };
    }
  },
  readInputs,
  cancel(): void {
    void current?.then((h) => h.cancel());
  },
  /**
   * sha256 of every file in an OPFS folder (the job state file and partial shards included), but
   * a picked folder's id (it is the folder's, not the merge's: folder-lock.ts).
   */
  async files(folder: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const dir = await dirOf(folder);
    for await (const [name, h] of (
      dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
    ).entries()) {
      if (h.kind === 'file' && name !== FOLDER_ID_FILE)
        out[name] = await sha256(await (await (h as FileSystemFileHandle).getFile()).arrayBuffer());
    }
    return out;
  },
  async clear(folder: string): Promise<void> {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(folder, { recursive: true }).catch(() => undefined);
  },
};

(window as unknown as { harness: typeof harness }).harness = harness;
document.body.dataset['ready'] = 'true';
