import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../../scripts/lib/golden.ts';
import { runMerge } from '../../engine/run-merge.ts';
import { loadRecipe } from '../../plan/recipe-yaml.ts';
import { folderResolver } from '../node/fs-source.ts';
import { folderSink } from '../node/fs-sink.ts';
import type { OutputSink } from '../source.ts';
import { StorageError, storageError } from './storage-errors.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'storage-test-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const domError = (name: string): Error => Object.assign(new Error(name), { name });

describe('storage errors', () => {
  it('turn quota and permission failures into messages a user can act on', () => {
    const quota = storageError(
      domError('QuotaExceededError'),
      'model-00002-of-00003.safetensors',
    ) as StorageError;
    expect(quota).toBeInstanceOf(StorageError);
    expect(quota.kind).toBe('quota');
    expect(quota.message).toMatch(
      /out of storage space while writing model-00002-of-00003\.safetensors.*finished shards are kept/,
    );
    expect((storageError(domError('NotAllowedError'), 'x') as StorageError).kind).toBe('permission');
    const other = new Error('boom');
    expect(storageError(other, 'x')).toBe(other);
  });

  it('stop the merge, keep the finished shards, and a later run resumes them', async () => {
    const dir = path.join(tmp, 'quota');
    const recipeText =
      'merge_method: linear\nmodels:\n  - {model: tinymix-code, parameters: {weight: 1}}\n  - {model: tinymix-math, parameters: {weight: 1}}\n';
    const { recipe } = loadRecipe(recipeText);
    const real = folderSink(dir);
    let shards = 0;
    // A disk that fills up while the third shard is being written.
    const full: OutputSink = {
      ...real,
      async createFile(p, size) {
        const w = await real.createFile(p, size);
        const n = ++shards;
        return {
          ...w,
          write: (o, d) =>
            n === 3 ? Promise.reject(storageError(domError('QuotaExceededError'), p)) : w.write(o, d),
        };
      },
    };
    const job = { recipe, recipeText, resolve: folderResolver(MODELS_DIR), maxShardBytes: 400_000 };
    await expect(runMerge({ ...job, sink: full })).rejects.toThrow(
      /out of storage space while writing model-00003/,
    );
    const left = await readdir(dir);
    expect(left.filter((f) => /^model-0000[12]-of-/.test(f))).toHaveLength(2);
    expect(left).not.toContain('config.json');
    const r = await runMerge({ ...job, sink: real });
    expect(r.resumedShards).toBe(2);
  });
});
