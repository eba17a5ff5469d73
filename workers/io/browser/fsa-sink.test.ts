/**
 * The picked-folder sink against a small stand-in for File System Access handles (the real ones
 * are exercised in Chromium by e2e/merge/worker-merge.spec.ts): a writable whose write fails is
 * aborted before the error goes on, and the folder lists its files.
 */
import { describe, expect, it } from 'vitest';
import { directorySink } from './fsa-sink.ts';
import { StorageError } from './storage-errors.ts';

/** A folder whose writables record their calls and reject writes of type `failOn`. */
function fakeDir(failOn?: 'truncate' | 'write'): { dir: FileSystemDirectoryHandle; calls: string[] } {
  const calls: string[] = [];
  const file = {
    kind: 'file',
    getFile: () => Promise.resolve({ size: 0 }),
    createWritable: () =>
      Promise.resolve({
        write: (p: { type: string }) => {
          calls.push(`write:${p.type}`);
          return p.type === failOn
            ? Promise.reject(new DOMException('full', 'QuotaExceededError'))
            : Promise.resolve();
        },
        close: () => (calls.push('close'), Promise.resolve()),
        abort: () => (calls.push('abort'), Promise.resolve()),
      }),
  };
  const dir = {
    name: 'out',
    getFileHandle: () => Promise.resolve(file),
    getDirectoryHandle: () => Promise.resolve(dir),
    removeEntry: () => Promise.resolve(),
    async *entries() {
      yield ['config.json', file];
      yield ['sub', { kind: 'directory' }];
      yield ['model.safetensors', file];
    },
  };
  return { dir: dir as unknown as FileSystemDirectoryHandle, calls };
}

describe('picked-folder sink', () => {
  it('createFile: a failed truncate (quota) aborts the writable, then says what to do', async () => {
    const { dir, calls } = fakeDir('truncate');
    const created = directorySink(dir).createFile('model-00001-of-00002.safetensors', 5e9);
    await expect(created).rejects.toBeInstanceOf(StorageError);
    await expect(created).rejects.toThrow(/out of storage space while writing model-00001-of-00002/);
    expect(calls).toEqual(['write:truncate', 'abort']);
  });

  it('writeFile: a failed write aborts the writable', async () => {
    const { dir, calls } = fakeDir('write');
    await expect(directorySink(dir).writeFile('.merge-studio-job.json', '{}')).rejects.toThrow(
      /out of storage space/,
    );
    expect(calls).toEqual(['write:write', 'abort']);
  });

  it('writes and closes when nothing fails', async () => {
    const { dir, calls } = fakeDir();
    await directorySink(dir).writeFile('config.json', '{}');
    expect(calls).toEqual(['write:write', 'close']);
  });

  it('lists the files directly in the folder', async () => {
    expect(await directorySink(fakeDir().dir).list!()).toEqual(['config.json', 'model.safetensors']);
  });
});
