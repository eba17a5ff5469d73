/** Folders opened in a tab are remembered by id (not files), so a reload can ask for them again. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { selectFoldersBlock, selectFoldersToReopen } from './selectors.ts';
import { LOCAL_IDS_KEY } from './sources-slice.ts';

function fakeSession(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

/** A fresh store, as after a reload (module state starts again; sessionStorage stays). */
async function reloadStore() {
  vi.resetModules();
  return (await import('./store.ts')).useStudio;
}

afterEach(() => vi.unstubAllGlobals());

describe('local folders across a reload', () => {
  it('an opened folder is a lost folder after a reload; opening it again or forgetting it clears that', async () => {
    vi.stubGlobal('sessionStorage', fakeSession());
    const before = await reloadStore();
    expect(before.getState().lostLocalFolders).toEqual([]);
    before.getState().addLocalFolder('my-law', { files: 3, bytes: 100 });
    before.getState().addLocalFolder('my-code', { files: 3, bytes: 100 });
    expect(JSON.parse(sessionStorage.getItem(LOCAL_IDS_KEY)!)).toEqual(['my-law', 'my-code']);

    const after = await reloadStore();
    expect(after.getState().localFolders).toEqual({});
    expect(after.getState().lostLocalFolders).toEqual(['my-law', 'my-code']);
    after.getState().addLocalFolder('my-law', { files: 3, bytes: 100 });
    expect(after.getState().lostLocalFolders).toEqual(['my-code']);
    after.getState().forgetLostLocalFolder('my-code');
    expect(after.getState().lostLocalFolders).toEqual([]);

    const again = await reloadStore();
    expect(again.getState().lostLocalFolders).toEqual(['my-law']);
  });

  it('without sessionStorage (or with junk in it) nothing is lost and nothing throws', async () => {
    const s = fakeSession();
    s.setItem(LOCAL_IDS_KEY, '{not json');
    vi.stubGlobal('sessionStorage', s);
    const store = await reloadStore();
    expect(store.getState().lostLocalFolders).toEqual([]);
    vi.stubGlobal('sessionStorage', undefined);
    const bare = await reloadStore();
    bare.getState().addLocalFolder('x', { files: 1, bytes: 1 });
    expect(bare.getState().localFolders).toHaveProperty('x');
  });

  it('a lost folder behind either part of base+adapter blocks Merge', async () => {
    vi.stubGlobal('sessionStorage', fakeSession());
    const store = await reloadStore();
    store.setState({
      recipe: {
        merge_method: 'linear',
        models: [{ model: 'tinymix-base+my-lora', parameters: { weight: 1 } }],
      },
      lostLocalFolders: ['my-lora'],
    });
    expect(selectFoldersToReopen(store.getState())).toEqual(['my-lora']);
    expect(selectFoldersBlock(store.getState())).toMatch(/Open the folder of my-lora again first/);
  });
});
