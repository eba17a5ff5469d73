import { afterEach, describe, expect, it, vi } from 'vitest';
import { opfsFiles } from './save-target.ts';

/** An origin-private folder `merges/out` holding `names`. */
function stubOpfs(names: readonly string[]): void {
  const out = {
    getFileHandle: (name: string) =>
      names.includes(name)
        ? Promise.resolve({ getFile: () => Promise.resolve(new File([name], name)) })
        : Promise.reject(new DOMException(name, 'NotFoundError')),
  };
  const root = {
    getDirectoryHandle: () => Promise.resolve({ getDirectoryHandle: () => Promise.resolve(out) }),
  };
  vi.stubGlobal('navigator', { storage: { getDirectory: () => Promise.resolve(root) } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('opfsFiles', () => {
  it("offers the finished merge's files only, not what else the folder holds", async () => {
    stubOpfs(['config.json', 'model.safetensors', 'model-00001-of-00002.safetensors', 'old.bin']);
    const files = await opfsFiles('merges/out', ['model.safetensors', 'config.json', 'README.md']);
    expect(files.map((f) => f.name)).toEqual(['config.json', 'model.safetensors']);
  });
});
