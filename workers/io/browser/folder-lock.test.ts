/**
 * The picked folder's lock, against stand-ins for Web Locks and a directory handle (the real
 * ones: e2e/merge/worker-merge.spec.ts, two tabs merging into one folder). Two tabs' handles
 * of one folder are different objects over the same files.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FOLDER_ID_FILE, lockPickedFolder } from './folder-lock.ts';
import { StorageError } from './storage-errors.ts';
import { fakeFolder, fakeLocks } from './test-helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BUSY =
  'another merge (in another tab?) is writing into out: wait for it to finish, or choose another output folder';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('lockPickedFolder', () => {
  it('holds the folder for one merge; another tab’s merge into it stops with a message, then the folder is free again', async () => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    const files = new Map<string, string>();
    const release = await lockPickedFolder(fakeFolder('out', files));
    const id = files.get(FOLDER_ID_FILE)!;
    expect(id).toMatch(UUID);

    const second = lockPickedFolder(fakeFolder('out', files));
    await expect(second).rejects.toThrow(StorageError);
    await expect(second).rejects.toThrow(BUSY);
    // Another folder (its own id) is free.
    (await lockPickedFolder(fakeFolder('out', new Map())))();
    // One that starts while the holder finishes gets the folder once it is let go.
    const third = lockPickedFolder(fakeFolder('out', files));
    release();
    await expect(third).resolves.toBeTypeOf('function');
    expect(files.get(FOLDER_ID_FILE)).toBe(id); // the folder keeps its id
  });

  it('two tabs meeting a new folder at the same instant agree on one id: one merge runs', async () => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    const files = new Map<string, string>();
    const results = await Promise.allSettled([
      lockPickedFolder(fakeFolder('out', files)),
      lockPickedFolder(fakeFolder('out', files)),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { message: BUSY } });
  });

  it('replaces an id file that holds no id, and keeps a good one', async () => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    const files = new Map([[FOLDER_ID_FILE, 'edited by hand']]);
    (await lockPickedFolder(fakeFolder('out', files)))();
    const id = files.get(FOLDER_ID_FILE)!;
    expect(id).toMatch(UUID);
    (await lockPickedFolder(fakeFolder('out', files)))();
    expect(files.get(FOLDER_ID_FILE)).toBe(id);
  });

  it('without Web Locks: nothing to guard with, and no id file written', async () => {
    vi.stubGlobal('navigator', {});
    const files = new Map<string, string>();
    const release = await lockPickedFolder(fakeFolder('out', files));
    (await lockPickedFolder(fakeFolder('out', files)))();
    release();
    expect([...files.keys()]).toEqual([]);
  });

  it('a folder it may not write into: the storage message', async () => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    const denied = {
      name: 'out',
      getFileHandle: () => Promise.reject(new DOMException('denied', 'NotAllowedError')),
    } as unknown as FileSystemDirectoryHandle;
    await expect(lockPickedFolder(denied)).rejects.toMatchObject({
      name: 'StorageError',
      kind: 'permission',
      message: expect.stringMatching(/^permission to write out\/\.merge-studio-folder-id was withdrawn/),
    });
  });
});
