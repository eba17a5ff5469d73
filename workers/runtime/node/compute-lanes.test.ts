/**
 * Node compute lanes are real worker threads: a merge job with two of them reads its inputs
 * into SharedArrayBuffers, merges the large tensors in parts on the threads, and writes the
 * same bytes as a job without lanes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticLlama } from '../../../scripts/lib/synthetic-model.ts';
import { runMerge, type MergeJob } from '../../engine/run-merge.ts';
import { folderResolver } from '../../io/node/fs-source.ts';
import { folderSink } from '../../io/node/fs-sink.ts';
import { loadRecipe } from '../../plan/recipe-yaml.ts';
import { defaultNodeLanes, startNodeLanes } from './compute-lanes.ts';

const RECIPE = `merge_method: breadcrumbs_ties
base_model: base
models:
  - model: a
    parameters: {weight: 0.6, density: 0.4, gamma: 0.02}
  - model: b
    parameters: {weight: 0.4, density: 0.6, gamma: 0.02}
`;

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'node-lanes-'));
  const shape = { layers: 1, hidden: 512, mlp: 4608, kv: 128, vocab: 1000 };
  await Promise.all(['base', 'a', 'b'].map((m, seed) => writeSyntheticLlama(path.join(tmp, m), shape, seed)));
}, 60_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

function job(out: string, extra: Partial<MergeJob> = {}): MergeJob {
  return {
    recipe: loadRecipe(RECIPE).recipe,
    recipeText: RECIPE,
    resolve: folderResolver(tmp),
    sink: folderSink(path.join(tmp, out)),
    outputName: out,
    ...extra,
  };
}

const file = (d: string): Promise<Buffer> => readFile(path.join(tmp, d, 'model.safetensors'));

describe('Node compute lanes', () => {
  it('default to one per core, none on one core, at most eight', () => {
    expect([1, 2, 3, 8, 16].map((c) => defaultNodeLanes(c))).toEqual([0, 2, 3, 8, 8]);
  });

  it('merge on worker threads to the same bytes', async () => {
    await runMerge(job('plain'));
    const pool = startNodeLanes(2);
    const logs: string[] = [];
    try {
      await runMerge(
        job('lanes', { lanes: { lanes: pool.lanes, needShared: true }, onLog: (l) => logs.push(l) }),
      );
    } finally {
      await pool.close();
    }
    expect(logs).toContain('compute: 3 tensors merged in parts on 2 lanes');
    // Each lane opened the shard and wrote its parts itself (FileWriter.laneTarget).
    expect(logs).toContain('compute: the lanes wrote 3 of them into the files themselves');
    expect((await file('lanes')).equals(await file('plain'))).toBe(true);
  }, 60_000);

  it('a lane whose thread dies fails the merge with a message instead of hanging', async () => {
    const script = path.join(tmp, 'broken-lane.mjs');
    await writeFile(script, "throw new Error('out of memory, say');\n");
    process.env['MERGE_STUDIO_LANE_SCRIPT'] = script;
    const pool = startNodeLanes(2);
    try {
      await expect(
        runMerge(job('broken', { lanes: { lanes: pool.lanes, needShared: true } })),
      ).rejects.toThrow(/a compute lane failed: out of memory, say/);
    } finally {
      delete process.env['MERGE_STUDIO_LANE_SCRIPT'];
      await pool.close();
    }
  }, 60_000);
});
