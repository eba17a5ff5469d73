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

/** Lanes by default: the cores beside the main thread (which reads and writes), at most 4. */
export function defaultNodeLanes(cores = os.availableParallelism()): number {
  return Math.max(0, Math.min(4, cores - 1));
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
