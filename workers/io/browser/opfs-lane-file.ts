/**
 * A compute lane's own handle on an OPFS shard the merge worker is writing (../lane-file.ts).
 * Both hold sync access handles in 'readwrite-unsafe' mode, which Chromium lets several
 * workers hold on one file at once; the lane closes its handle when its part is written, so the
 * merge worker can rename the shard when the shard is complete.
 */
import type { LaneFile, LaneFileTarget } from '../lane-file.ts';
import { storageError } from './storage-errors.ts';

/** FileSystemSyncAccessHandle with its mode (lib.webworker only; declared here for DOM-typed code). */
export interface SyncHandle {
  readonly mode?: string;
  write(data: AllowSharedBufferSource, opts: { at: number }): number;
  truncate(size: number): void;
  close(): void;
}

/** Opens a sync access handle that other workers may hold too, where the browser has the mode. */
export async function openUnsafeHandle(file: FileSystemFileHandle): Promise<SyncHandle> {
  return (
    file as unknown as { createSyncAccessHandle(o: { mode: string }): Promise<SyncHandle> }
  ).createSyncAccessHandle({ mode: 'readwrite-unsafe' });
}

/** Opens a sync access handle no other handle may share (every browser's default). */
export async function openExclusiveHandle(file: FileSystemFileHandle): Promise<SyncHandle> {
  return (file as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }).createSyncAccessHandle();
}

/** Writes all of `data` at `at` through a sync access handle; a failure names `what`. */
export function writeAll(h: SyncHandle, at: number, data: Uint8Array, what: string): void {
  try {
    let done = 0;
    while (done < data.byteLength) done += h.write(data.subarray(done), { at: at + done });
  } catch (e) {
    throw storageError(e, what);
  }
}

/** The OPFS folder at `parts` from the origin's root (made where `create`). */
export async function opfsDir(parts: readonly string[], create: boolean): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const part of parts) dir = await dir.getDirectoryHandle(part, { create });
  return dir;
}

export async function openOpfsLaneFile(target: LaneFileTarget & { kind: 'opfs' }): Promise<LaneFile> {
  const name = target.path[target.path.length - 1]!;
  let h: SyncHandle;
  try {
    const dir = await opfsDir(target.path.slice(0, -1), false);
    h = await openUnsafeHandle(await dir.getFileHandle(name));
  } catch (e) {
    throw storageError(e, name);
  }
  return {
    write: (at, bytes) => writeAll(h, at, bytes, name),
    close: () => h.close(),
  };
}

/** The opener of a browser's compute lane: OPFS files only. */
export const browserLaneFiles = (target: LaneFileTarget): Promise<LaneFile> | undefined =>
  target.kind === 'opfs' ? openOpfsLaneFile(target) : undefined;
