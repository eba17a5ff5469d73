import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../scripts/lib/golden.ts';
import { folderResolver } from '../io/node/fs-source.ts';
import type { ModelResolver } from '../io/source.ts';
import { loadRecipe } from '../plan/recipe-yaml.ts';
import type { MergeProgress } from '../protocol.ts';
import { MergeCancelled, readAllInputs, runMerge } from './run-merge.ts';
import { tinymixJob, TINYMIX_TIES } from './test-helpers.ts';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'engine-test-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const TIES = TINYMIX_TIES;

const job = tinymixJob;

const read = (d: string) => readFile(path.join(d, 'model.safetensors'));

describe('runMerge', () => {
  it('writes a Hugging Face model folder, sharded with an index', async () => {
    const dir = path.join(tmp, 'sharded');
    const r = await runMerge(job(dir, TIES, { maxShardBytes: 600_000 }));
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([
      'README.md',
      'config.json',
      'generation_config.json',
      'mergekit_config.yml',
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const index = JSON.parse(await readFile(path.join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(Object.keys(index.weight_map)).toHaveLength(39);
    expect(index.metadata.total_size).toBe(804_992 * 2);
    expect(await readFile(path.join(dir, 'mergekit_config.yml'), 'utf8')).toBe(TIES);
    const card = await readFile(path.join(dir, 'README.md'), 'utf8');
    expect(card).toMatch(/tags:\n- mergekit\n- merge/);
    expect(card).toMatch(
      /\[TIES\]\(https:\/\/arxiv\.org\/abs\/2306\.01708\) merge method using tinymix-base as a base/,
    );
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8'));
    expect(config.torch_dtype).toBe('bfloat16');
    expect(r.tensors).toBe(39);
    expect(r.changes).toHaveLength(39);
    expect(r.changes.every((c) => c.relativeChange !== undefined && c.relativeChange >= 0)).toBe(true);
  });

  it('gives the same bytes for the same seed, and different bytes for another seed (DARE)', async () => {
    const dare = TIES.replace('ties', 'dare_ties');
    await runMerge(job(path.join(tmp, 's1'), dare, { seed: 5 }));
    await runMerge(job(path.join(tmp, 's2'), dare, { seed: 5 }));
    await runMerge(job(path.join(tmp, 's3'), dare, { seed: 6 }));
    expect((await read(path.join(tmp, 's1'))).equals(await read(path.join(tmp, 's2')))).toBe(true);
    expect((await read(path.join(tmp, 's1'))).equals(await read(path.join(tmp, 's3')))).toBe(false);
  });

  it('reports progress while the first inputs are read, with the sizes known from planning', async () => {
    const events: MergeProgress[] = [];
    await runMerge(
      job(path.join(tmp, 'progress'), TIES, { progressIntervalMs: 0, onProgress: (e) => events.push(e) }),
    );
    const beforeFirstTensor = events.filter((e) => e.phase === 'merging' && e.tensorsDone === 0);
    // Once planned: what will be written and read, before a byte has arrived.
    expect(beforeFirstTensor[0]).toMatchObject({ bytesRead: 0, bytesWritten: 0 });
    expect(beforeFirstTensor[0]!.bytesTotal).toBeGreaterThan(804_992 * 2);
    expect(beforeFirstTensor[0]!.bytesToRead).toBeGreaterThan(0);
    // Then each read moves the numbers on.
    expect(beforeFirstTensor.some((e) => e.bytesRead > 0)).toBe(true);
  });

  it('throttles the read progress like the rest', async () => {
    const events: MergeProgress[] = [];
    await runMerge(
      job(path.join(tmp, 'progress-throttled'), TIES, {
        progressIntervalMs: 60_000,
        onProgress: (e) => events.push(e),
      }),
    );
    expect(events.map((e) => e.phase)).toEqual(['loading', 'planning', 'merging', 'finishing', 'done']);
  });

  it('stops when cancelled and leaves no config.json or partial shard', async () => {
    const dir = path.join(tmp, 'cancel');
    const ac = new AbortController();
    let n = 0;
    const p = runMerge(
      job(dir, TIES, {
        signal: ac.signal,
        progressIntervalMs: 0,
        onProgress: (e) => {
          if (e.phase === 'merging' && ++n === 5) ac.abort();
        },
      }),
    );
    await expect(p).rejects.toBeInstanceOf(MergeCancelled);
    const files = await readdir(dir).catch(() => []);
    expect(
      files.filter((f) => f === 'config.json' || f.endsWith('.partial') || f === 'model.safetensors'),
    ).toEqual([]);
  });

  it('resumes a job, skipping the shards it finished, to the same bytes', async () => {
    const ref = path.join(tmp, 'resume-ref');
    const dir = path.join(tmp, 'resume');
    await runMerge(job(ref, TIES, { maxShardBytes: 600_000 }));
    const ac = new AbortController();
    await expect(
      runMerge(
        job(dir, TIES, {
          maxShardBytes: 600_000,
          signal: ac.signal,
          progressIntervalMs: 0,
          onProgress: (e) => e.phase === 'merging' && e.tensorsDone >= 20 && ac.abort(),
        }),
      ),
    ).rejects.toBeInstanceOf(MergeCancelled);
    const r = await runMerge(job(dir, TIES, { maxShardBytes: 600_000 }));
    expect(r.resumedShards).toBeGreaterThan(0);
    for (const f of await readdir(ref)) {
      expect((await readFile(path.join(dir, f))).equals(await readFile(path.join(ref, f))), f).toBe(true);
    }
    expect(await readdir(dir)).not.toContain('.merge-studio-job.json');
  });

  it('does not mistake another merge’s shards for finished work', async () => {
    const dir = path.join(tmp, 'reuse');
    await runMerge(job(dir, TIES));
    const r = await runMerge(
      job(
        dir,
        TIES.replace(
          'weight: 0.5, density: 0.5}\n  - model: tinymix-math',
          'weight: 0.7, density: 0.5}\n  - model: tinymix-math',
        ),
      ),
    );
    expect(r.resumedShards).toBe(0);
  });

  it('coalesces neighbouring tensors into few reads', async () => {
    const r = await runMerge(job(path.join(tmp, 'reads')));
    // 3 models (the math model in 2 shards): a handful of block reads, not one per tensor.
    expect(r.readRequests).toBeLessThanOrEqual(6);
    expect(r.bytesRead).toBeGreaterThan(3 * 1_600_000);
  });

  it('reads several tensors ahead while merging, not only the next one', async () => {
    // Slow reads of small blocks: reading only the next tensor ahead keeps at most 6 reads going
    // (this tensor's block and the next one's, per model).
    let inFlight = 0;
    let most = 0;
    const slow = <T>(p: () => Promise<T>): Promise<T> => {
      most = Math.max(most, ++inFlight);
      return new Promise((r) => setTimeout(r, 3)).then(p).finally(() => inFlight--);
    };
    const folders = folderResolver(MODELS_DIR);
    const resolve: ModelResolver = async (id, signal) => {
      const src = await folders(id, signal);
      return {
        ...src,
        open: async (p, sig) => {
          const f = await src.open(p, sig);
          return {
            name: f.name,
            size: f.size,
            read: (o, l, s2) => slow(() => f.read(o, l, s2)),
            ...(f.readInto && {
              readInto: (o: number, t: Uint8Array, s2?: AbortSignal) => slow(() => f.readInto!(o, t, s2)),
            }),
          };
        },
      };
    };
    const ref = await runMerge(job(path.join(tmp, 'ahead-ref')));
    const r = await runMerge(job(path.join(tmp, 'ahead'), TIES, { resolve, maxReadBlock: 64 * 1024 }));
    expect(r.readRequests).toBeGreaterThan(30);
    expect(most).toBeGreaterThan(12);
    expect((await read(path.join(tmp, 'ahead'))).equals(await read(path.join(tmp, 'ahead-ref')))).toBe(true);
    expect(ref.bytesRead).toBe(r.bytesRead);
  });

  it('reads, for the benchmark, exactly what the merge reads (same blocks, pooled buffers)', async () => {
    const merged = await runMerge(job(path.join(tmp, 'read-only')));
    const readOnly = await readAllInputs(loadRecipe(TIES).recipe, folderResolver(MODELS_DIR));
    expect(readOnly.bytes).toBe(merged.bytesRead);
    expect(readOnly.requests).toBe(merged.readRequests);
    expect(readOnly.tensors).toBe(39);
    // smaller blocks: more requests, the same bytes
    const again = await readAllInputs(loadRecipe(TIES).recipe, folderResolver(MODELS_DIR), {
      maxReadBlock: 64 * 1024,
    });
    expect(again.bytes).toBe(merged.bytesRead);
    expect(again.requests).toBeGreaterThan(readOnly.requests);
  });
});
