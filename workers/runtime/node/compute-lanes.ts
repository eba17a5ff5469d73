/**
 * Compute lanes for the engine in Node (the command-line tool, benchmarks): worker threads that
 * merge parts of large tensors (workers/engine/parallel), as the browser's compute workers do.
 * Node shares SharedArrayBuffers between threads without any isolation headers.
 */
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
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
  return own ? pathToFileURL(path.resolve(own)) : new URL('./compute-lane.worker.mjs', import.meta.url);
}

/**
 * `count` lanes, each a worker thread started on its first part (a merge of small tensors
 * starts none). A thread that dies fails its runs, never the process.
 */
export function startNodeLanes(count: number): NodeLanes {
  const workers: Worker[] = [];
  const lanes = Array.from({ length: count }, (): ComputeLane => {
    let lane: ComputeLane | undefined;
    return {
      run: (job, hooks) => {
        lane ??= start(workers);
        return lane.run(job, hooks);
      },
    };
  });
  return {
    lanes,
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

function start(workers: Worker[]): ComputeLane {
  const w = new Worker(laneScript());
  workers.push(w);
  w.unref(); // an idle lane never keeps the process alive
  const lost = new Promise<never>((_, reject) => {
    w.on('error', (e) => reject(new Error(`a compute lane failed: ${e.message}`)));
    w.on('exit', (code) => reject(new Error(`a compute lane stopped (exit code ${code})`)));
  });
  lost.catch(() => undefined); // only the runs racing it report the loss
  return laneOver(nodeEndpoint(w), lost);
}
