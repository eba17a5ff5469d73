/**
 * Browser storage, where merges go without a folder picker: the header's list shows what is
 * kept there with its size, downloads it as one archive, refuses to delete a folder a job is
 * writing into (its Web Lock held), and deletes it after a second click, with the interrupted
 * job that would have resumed into it.
 */
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { REPO, startTestHub } from '../support/hub.ts';
import { Studio } from '../support/studio.ts';

test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'the UI flow runs once');
});

test('browser storage lists a saved merge, downloads it as .tar, and deletes it only when no job writes into it', async ({
  page,
}) => {
  const hub = await startTestHub();
  try {
    const studio = new Studio(page);
    await studio.withoutFolderPicker();
    await studio.open(hub.url);
    await studio.chooseMethod(/^TIES ties/);
    await studio.addDemoModels();
    await page.getByRole('textbox', { name: 'Output folder name' }).fill('kept-here');
    await studio.mergeAndWait();

    await page.getByText('Browser storage', { exact: true }).click();
    const storage = page.getByRole('region', { name: 'Browser storage' });
    const item = storage.getByRole('listitem').filter({ hasText: 'kept-here' });
    await expect(item).toContainText(/kept-here \d+(\.\d+)? [kM]B/);
    await expect(storage).toContainText(/used of the .* this browser allows/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      item.getByRole('button', { name: 'Download kept-here as kept-here.tar' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('kept-here.tar');

    // A job writing into the folder holds its lock (opfs-sink.ts): deleting waits for it.
    await page.evaluate(() => {
      const w = window as unknown as { releaseLock?: () => void };
      void navigator.locks.request(
        'merge-studio:opfs:merges/kept-here',
        () => new Promise<void>((r) => (w.releaseLock = r)),
      );
    });
    await item.getByRole('button', { name: 'Delete kept-here' }).click();
    await item.getByRole('button', { name: 'Delete kept-here for good' }).click();
    await expect(storage.getByRole('alert')).toContainText('A job is writing into “kept-here”');
    expect(await folderExists(page, 'kept-here')).toBe(true);

    await page.evaluate(() => (window as unknown as { releaseLock: () => void }).releaseLock());
    // An interrupted job that would resume into the folder (src/engine/job-db.ts) goes with it.
    await jobStore(page, {
      put: { id: 'interrupted', target: { kind: 'opfs', folder: 'merges/kept-here' } },
    });
    expect(await jobStore(page, {})).toContain('interrupted');
    await page.screenshot({ path: path.join(REPO, 'test-results', 'studio-browser-storage.png') });
    await item.getByRole('button', { name: 'Delete kept-here' }).click();
    await item.getByRole('button', { name: 'Keep it' }).click();
    expect(await folderExists(page, 'kept-here')).toBe(true);
    await item.getByRole('button', { name: 'Delete kept-here' }).click();
    await item.getByRole('button', { name: 'Delete kept-here for good' }).click();
    await expect(storage.getByRole('listitem').filter({ hasText: 'kept-here' })).toHaveCount(0);
    expect(await folderExists(page, 'kept-here')).toBe(false);
    expect(await jobStore(page, {})).not.toContain('interrupted');
  } finally {
    await hub.close();
  }
});

function folderExists(page: Page, name: string): Promise<boolean> {
  return page.evaluate(async (n) => {
    const merges = await (await navigator.storage.getDirectory()).getDirectoryHandle('merges');
    return merges.getDirectoryHandle(n).then(
      () => true,
      () => false,
    );
  }, name);
}

/** The ids of the job records in IndexedDB, after putting `put` there (status running, a merge). */
function jobStore(page: Page, o: { readonly put?: object }): Promise<string[]> {
  return page.evaluate(async (put) => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const r = indexedDB.open('merge-studio', 1);
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    /** One request on the jobs store, settled. */
    const run = <T>(f: (s: IDBObjectStore) => IDBRequest<T>) =>
      new Promise<T>((ok, fail) => {
        const r = f(db.transaction('jobs', put ? 'readwrite' : 'readonly').objectStore('jobs'));
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
    if (put)
      await run((s) =>
        s.put({
          ...put,
          status: 'running',
          startedAt: Date.now(),
          updatedAt: Date.now(),
          request: { outputName: 'kept-here' },
        }),
      );
    const keys = await run((s) => s.getAllKeys());
    db.close();
    return keys.map(String);
  }, o.put);
}
