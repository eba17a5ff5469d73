/**
 * The plan worker's model cache (./model-cache.ts): a model pinned to a commit is opened once
 * per scope, and a value derived from it (a tokensurgeon preview's vocabulary) is computed once
 * with it; a source without a commit, or another scope, is read again every time.
 */
import { describe, expect, it } from 'vitest';
import { blobModelSource } from '../io/memory.ts';
import type { ModelSource } from '../io/source.ts';
import { modelFiles } from '../tokensurgeon/test-helpers.ts';
import { ModelCache } from './model-cache.ts';

const COMMIT = 'a'.repeat(40);

/** tinymix-base at `revision`, counting its file reads. */
function counted(revision?: string): { source: ModelSource; reads: () => number } {
  const inner = blobModelSource('tinymix-base', modelFiles());
  let reads = 0;
  const source: ModelSource = {
    ...inner,
    ...(revision !== undefined && { revision }),
    listFiles: (s) => inner.listFiles(s),
    readFile: (p, s, m) => {
      reads++;
      return inner.readFile(p, s, m);
    },
    open: (p, s) => {
      reads++;
      return inner.open(p, s);
    },
  };
  return { source, reads: () => reads };
}

describe('ModelCache', () => {
  it('opens a model at a commit once, and computes what is derived from it once', async () => {
    const cache = new ModelCache();
    const { source, reads } = counted(COMMIT);
    let computed = 0;
    const derive = async () => {
      const model = await cache.headers('hub')(source);
      return cache.derived('hub', 'vocab', model, async (m) => `${m.id} ${++computed}`);
    };
    expect(await derive()).toBe('tinymix-base 1');
    const after = reads();
    expect(await derive()).toBe('tinymix-base 1');
    expect(reads()).toBe(after);
    expect(computed).toBe(1);
    // Another scope (a token given) opens and computes its own.
    const other = await cache.headers('hub token')(source);
    expect(await cache.derived('hub token', 'vocab', other, async () => 'other')).toBe('other');
    expect(cache.size).toBe(2);
  });

  it('reads a source without a commit every time', async () => {
    const cache = new ModelCache();
    const { source, reads } = counted();
    let computed = 0;
    for (let i = 0; i < 2; i++) {
      const model = await cache.headers('hub')(source);
      await cache.derived('hub', 'vocab', model, async () => ++computed);
    }
    expect(computed).toBe(2);
    expect(reads()).toBeGreaterThan(2);
    expect(cache.size).toBe(0);
  });
});
