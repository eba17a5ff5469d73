/**
 * Where a merge is saved. The folder picker must be called from the user's click, before the
 * long merge starts (it needs transient user activation). Where the File System Access API is
 * missing (Firefox, Safari) the merge goes to the origin-private file system and the files are
 * offered as downloads afterwards.
 */
import type { SaveTarget } from '../../workers/runtime/requests.ts';
import { tarArchive } from './tar-archive.ts';

/** The folder of the origin-private file system that outputs go to without a folder picker. */
export const STORAGE_ROOT = 'merges';

interface PickerWindow {
  showDirectoryPicker?: (o?: {
    mode?: 'read' | 'readwrite';
    id?: string;
  }) => Promise<FileSystemDirectoryHandle>;
}

export function canPickFolders(): boolean {
  return typeof (window as PickerWindow).showDirectoryPicker === 'function';
}

export class SaveCancelled extends Error {
  override readonly name: string = 'SaveCancelled';
}

/** Asks for an output folder (call from a click handler). Falls back to OPFS without the API. */
export async function chooseSaveTarget(outputName: string): Promise<SaveTarget> {
  const w = window as PickerWindow;
  if (!w.showDirectoryPicker) return { kind: 'opfs', folder: `${STORAGE_ROOT}/${outputName}` };
  let parent: FileSystemDirectoryHandle;
  try {
    parent = await w.showDirectoryPicker({ mode: 'readwrite', id: 'merge-studio-output' });
  } catch (e) {
    if ((e as { name?: string }).name === 'AbortError') throw new SaveCancelled('no folder chosen');
    throw e;
  }
  // The merged model goes into a sub-folder named after the output, like mergekit's OUT.
  return { kind: 'directory', handle: await parent.getDirectoryHandle(outputName, { create: true }) };
}

/**
 * The files of a finished OPFS merge, for download links: only `names` (the merge's result
 * files), never what else the folder holds (an interrupted run's state, other merges' files).
 */
export async function opfsFiles(folder: string, names: readonly string[]): Promise<File[]> {
  let dir = await navigator.storage.getDirectory();
  for (const part of folder.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(part);
  const files: File[] = [];
  for (const name of names) {
    // A file in a subfolder (fill-missing copies a model's) is named by its path.
    const parts = name.split('/');
    let d: FileSystemDirectoryHandle | undefined = dir;
    for (const p of parts.slice(0, -1)) d = await d?.getDirectoryHandle(p).catch(() => undefined);
    const handle = await d?.getFileHandle(parts.at(-1)!).catch(() => undefined);
    if (!handle) continue;
    const file = await handle.getFile();
    files.push(
      parts.length > 1 ? new File([file], name, { type: file.type, lastModified: file.lastModified }) : file,
    );
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

/** Starts a browser download of a file (the OPFS fallback's way to hand files over). */
export function downloadFile(file: File): void {
  const url = URL.createObjectURL(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = file.name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Starts a browser download of `files` (named by their paths) as one archive, `root`.tar. */
export function downloadArchive(root: string, files: readonly File[]): void {
  const entries = files.map((f) => ({ path: f.name, file: f, lastModified: f.lastModified }));
  downloadFile(new File([tarArchive(root, entries)], `${root}.tar`, { type: 'application/x-tar' }));
}
