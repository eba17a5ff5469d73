/**
 * What the studio keeps in browser storage (the origin-private file system): every job saved
 * without a folder picker writes into `merges/NAME` (./save-target.ts), and nothing else ever
 * removes it. Multi-gigabyte models fill the browser's quota, so the studio lists them, offers
 * each as one archive, and deletes one on request: never while a job writes into it (the job
 * holds the folder's Web Lock, workers/io/browser/opfs-sink.ts), and with it the interrupted
 * job that would resume into it.
 */
import { holdLock, opfsFolderLock } from '../../workers/io/browser/web-lock.ts';
import { deleteJob, listJobs } from './job-db.ts';
import { STORAGE_ROOT } from './save-target.ts';

export interface StoredOutput {
  /** The folder's name under STORAGE_ROOT (the output name the job was given). */
  readonly name: string;
  /** Its files, subfolders' as `sub/name`, but hidden ones (the job's own state). */
  readonly files: readonly File[];
  /** Every byte it holds, hidden files and unfinished shards included. */
  readonly bytes: number;
  /** Whether its last file was written: config.json (models) or adapter_config.json (LoRA). */
  readonly complete: boolean;
}

/** The outputs in browser storage, by name; none where the API is missing. */
export async function listStoredOutputs(): Promise<StoredOutput[]> {
  const root = await storageRoot();
  if (!root) return [];
  const out: StoredOutput[] = [];
  for await (const [name, handle] of entries(root)) {
    if (handle.kind !== 'directory') continue;
    const files: File[] = [];
    let bytes = 0;
    for await (const [path, file] of walk(handle as FileSystemDirectoryHandle, '')) {
      bytes += file.size;
      const hidden = path.split('/').some((p) => p.startsWith('.'));
      if (!hidden)
        files.push(path.includes('/') ? new File([file], path, { lastModified: file.lastModified }) : file);
    }
    const names = new Set(files.map((f) => f.name));
    const unfinished = files.some((f) => f.name.endsWith('.partial'));
    const complete = !unfinished && (names.has('config.json') || names.has('adapter_config.json'));
    out.push({ name, files: files.sort((a, b) => a.name.localeCompare(b.name)), bytes, complete });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export class StorageBusyError extends Error {
  override readonly name: string = 'StorageBusyError';
}

/**
 * Deletes `merges/NAME` and forgets the interrupted jobs that would resume into it. Refused
 * while a job (in any tab) writes into the folder.
 */
export async function deleteStoredOutput(name: string): Promise<void> {
  const root = await storageRoot();
  if (!root) return;
  const folder = `${STORAGE_ROOT}/${name}`;
  const lock = await holdLock(opfsFolderLock(folder), 0);
  if (lock === 'taken')
    throw new StorageBusyError(
      `A job is writing into “${name}” (in this tab or another): cancel it or let it finish, then delete.`,
    );
  try {
    await root.removeEntry(name, { recursive: true });
    for (const job of await listJobs())
      if (job.target.kind === 'opfs' && job.target.folder === folder) await deleteJob(job.id);
  } finally {
    lock?.();
  }
}

/** The folder of browser-storage outputs; undefined before the first (or without OPFS). */
async function storageRoot(): Promise<FileSystemDirectoryHandle | undefined> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return undefined;
  const opfs = await navigator.storage.getDirectory();
  return opfs.getDirectoryHandle(STORAGE_ROOT).catch(() => undefined);
}

type Entries = { entries(): AsyncIterable<[string, FileSystemHandle]> };
const entries = (dir: FileSystemDirectoryHandle): AsyncIterable<[string, FileSystemHandle]> =>
  (dir as unknown as Entries).entries();

/** Every file below `dir`, with its path from there. */
async function* walk(dir: FileSystemDirectoryHandle, prefix: string): AsyncGenerator<[string, File]> {
  for await (const [name, handle] of entries(dir)) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (handle.kind === 'directory') yield* walk(handle as FileSystemDirectoryHandle, path);
    else yield [path, await (handle as FileSystemFileHandle).getFile()];
  }
}
