/**
 * One merge at a time in a folder the user picked. Two tabs (or a resumed job and the tab that
 * still runs it) may be handed the same folder, and each file commits on close(), so without a
 * guard the last writer wins file by file and both report success. A merge holds a Web Lock on
 * the folder until it ends, as OPFS merges do (./opfs-sink.ts).
 *
 * A directory handle has no id to name the lock by, and two tabs' handles of one folder are
 * different objects, so the folder keeps one: FOLDER_ID_FILE holds a random UUID, created by
 * the first merge into it and kept afterwards (removing it at the end would let a merge that
 * read the old id and one that creates a new id hold different locks on one folder). It is
 * read or created under a lock of its own, so two tabs that meet a new folder at the same
 * instant still agree on one id. Left to chance: a folder whose id file is deleted during a
 * merge, two browsers (or profiles) writing one folder, which share no locks, and a copy of a
 * folder with its id file, which merges only one at a time with the original.
 */
import { StorageError, storageError } from './storage-errors.ts';
import { folderBusy, FOLDER_LOCK_WAIT_MS, holdLock, withLock } from './web-lock.ts';

/** Kept in a picked output folder; the app's file listings skip dotfiles. */
export const FOLDER_ID_FILE = '.merge-studio-folder-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Writable {
  write(data: string): Promise<void>;
  close(): Promise<void>;
}

/** The folder's id, from FOLDER_ID_FILE; a new one is written when it is missing or not a UUID. */
export function folderId(dir: FileSystemDirectoryHandle): Promise<string> {
  return withLock('merge-studio:folder-id', async () => {
    const file = await dir.getFileHandle(FOLDER_ID_FILE, { create: true });
    const kept = (await (await file.getFile()).text()).trim();
    if (UUID.test(kept)) return kept;
    const id = crypto.randomUUID();
    const w = await (file as unknown as { createWritable(): Promise<Writable> }).createWritable();
    await w.write(id);
    await w.close();
    return id;
  });
}

/**
 * Takes the folder's lock for a merge: resolves with the function that lets go of it, or throws
 * a StorageError when another merge holds it. Without Web Locks nothing guards the folder, and
 * no id file is written.
 */
export async function lockPickedFolder(dir: FileSystemDirectoryHandle): Promise<() => void> {
  if (typeof navigator === 'undefined' || !(navigator as { locks?: LockManager }).locks)
    return () => undefined;
  let id: string;
  try {
    id = await folderId(dir);
  } catch (e) {
    throw storageError(e, `${dir.name}/${FOLDER_ID_FILE}`);
  }
  const lock = await holdLock(`merge-studio:folder:${id}`, FOLDER_LOCK_WAIT_MS);
  if (lock === 'taken') throw new StorageError('other', folderBusy(dir.name));
  return lock ?? (() => undefined);
}
