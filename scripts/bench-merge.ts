/**
 * `npm run bench:merge`: the engine in Node (as the command-line tool runs it) on the same
 * synthetic three-input TIES merge as bench:browser, from a local folder to a local folder:
 * the time to only read the inputs, then the whole merge with 0, 1, 2, 4 ... compute lanes
 * (worker threads that merge large tensors in parts), and whether each gave the same bytes.
 *
 *   npm run bench:merge                          12 layers (1 GB per input), lanes 0 1 2 4
 *   npm run bench:merge -- --layers 4 --lanes 0,2
 *   npm run bench:merge -- --lane-writes never   who writes what lanes merge: auto (the lanes
 *                                                themselves from two lanes on), always, never
 *   npm run bench:merge -- --coordinator-share 0.5
 *                                                the main thread merges a part of each split
 *                                                tensor too, half a lane's (default 0)
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readAllInputs, runMerge } from '../workers/engine/run-merge.ts';
import { folderResolver } from '../workers/io/node/fs-source.ts';
import { folderSink } from '../workers/io/node/fs-sink.ts';
import { loadRecipe } from '../workers/plan/recipe-yaml.ts';
import { startNodeLanes } from '../workers/runtime/node/compute-lanes.ts';
import { coordinatorShare, laneWrites } from './lib/lane-writes.ts';
import { BENCH_SHAPE, BENCH_TIES_RECIPE, writeSyntheticLlama } from './lib/synthetic-model.ts';

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '12' },
    lanes: { type: 'string', default: '0,1,2,4' },
    'lane-writes': { type: 'string', default: 'auto' },
    'coordinator-share': { type: 'string', default: '0' },
  },
});
const LANE_WRITES = laneWrites(values['lane-writes']);
const SHARE = coordinatorShare(values['coordinator-share']);
const SHAPE = { ...BENCH_SHAPE, layers: Number(values.layers) };
const RECIPE = BENCH_TIES_RECIPE;

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-merge-'));
try {
  const t0 = performance.now();
  const sizes = await Promise.all(
    ['base', 'ft1', 'ft2'].map((m, seed) => writeSyntheticLlama(path.join(dir, m), SHAPE, seed)),
  );
  console.log(
    `${SHAPE.layers} layers: 3 inputs of ${(sizes[0]! / 1e9).toFixed(2)} GB written in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${os.availableParallelism()} cores, Node ${process.version}`,
  );
  const recipe = loadRecipe(RECIPE).recipe;
  const resolve = folderResolver(dir);
  let r0 = performance.now();
  const read = await readAllInputs(recipe, resolve);
  const readMs = performance.now() - r0;
  console.log(
    `read only: ${(readMs / 1000).toFixed(2)} s, ${(read.bytes / 1e6 / (readMs / 1000)).toFixed(0)} MB/s (from the page cache)`,
  );
  let reference: string | undefined;
  for (const count of values.lanes.split(',').map(Number)) {
    const pool = count > 0 ? startNodeLanes(count) : undefined;
    const out = path.join(dir, `out-${count}`);
    r0 = performance.now();
    const result = await runMerge({
      recipe,
      recipeText: RECIPE,
      resolve,
      sink: folderSink(out),
      outputName: 'bench',
      ...(pool && {
        lanes: { lanes: pool.lanes, needShared: true, laneWrites: LANE_WRITES, coordinatorShare: SHARE },
      }),
    }).finally(() => pool?.close());
    const ms = performance.now() - r0;
    const hash = createHash('sha256')
      .update(await readFile(path.join(out, 'model.safetensors')))
      .digest('hex');
    reference ??= hash;
    const t = result.timings;
    console.log(
      `lanes ${String(count).padStart(2)}: merge ${(ms / 1000).toFixed(2)} s = ${(ms / readMs).toFixed(2)}x read-only; ` +
        `merging ${(t.computeMs / 1000).toFixed(2)} s, waiting for reads ${(t.readWaitMs / 1000).toFixed(2)} s, for writes ${(t.writeWaitMs / 1000).toFixed(2)} s; ` +
        (t.lanesBusyMs === undefined
          ? ''
          : `lanes (summed) merging ${(t.lanesBusyMs / 1000).toFixed(2)} s, waiting at barriers ${((t.lanesSyncWaitMs ?? 0) / 1000).toFixed(2)} s, for pieces ${((t.lanesWriteWaitMs ?? 0) / 1000).toFixed(2)} s; `) +
        `${hash === reference ? 'same bytes' : 'DIFFERENT BYTES'}`,
    );
    await rm(out, { recursive: true, force: true });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
