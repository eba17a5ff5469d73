/**
 * Compute lanes for the engine in Node (the command-line tool, benchmarks): worker threads that
 * merge parts of large tensors (workers/engine/parallel), as the browser's compute workers do.
 * Node shares SharedArrayBuffers between threads without any isolation headers.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { nodeEndpoint } from './endpoint.ts';
import type { ComputeLane } from '../../engine/parallel/part-job.ts';
import { laneOver } from '../compute-api.ts';

/**
 * Lanes by default: one per core, at most 8 (the main thread mostly waits while they merge;
 * reading from disk costs it little). On 16 cores a 12-layer TIES merge took 11.6 s on the
 * main thread alone, 12.2 s with 1 lane, 4.9 s with 4 and 3.8 s with 8; on 2 cores 3.4 s
 * alone and 3.0 s with 2 lanes (docs/measurements/2026-11-22-compute-lanes-16-cores.txt).
 */
export function defaultNodeLanes(cores = os.availableParallelism()): number {
  return cores < 2 ? 0 : Math.min(8, cores);
}

export interface NodeLanes {
  readonly lanes: readonly ComputeLane[];
  close(): Promise<void>;
}

/** The lane script: this folder's (through tsx), or a bundle's, from MERGE_STUDIO_LANE_SCRIPT. */
function laneScript(): URL {
  const own = process.env['MERGE_STUDIO_LANE_SCRIPT'];
  return own
    ? new URL(own, `file://${process.cwd()}/`)
    : new URL('./compute-lane.worker.mjs', import.meta.url);
}

export function startNodeLanes(count: number): NodeLanes {
  const workers = Array.from({ length: count }, () => new Worker(laneScript()));
  const lanes = workers.map((w) => {
    w.unref(); // an idle lane never keeps the process alive
    return laneOver(nodeEndpoint(w));
  });
  return {
    lanes,
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
