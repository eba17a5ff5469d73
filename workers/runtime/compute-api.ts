/**
 * The compute lane's API (workers/runtime/compute.worker.ts), and how a merge worker wraps the
 * other end of a lane's port into a ComputeLane. The type is derived from the object, so the
 * two sides cannot drift. Parts arrive with their inputs in SharedArrayBuffers and send their
 * encoded output back from shared staging buffers: no tensor is copied through a message.
 */
import * as Comlink from 'comlink';
import { useSharedStages } from '../engine/output-stager.ts';
import { runPart, type ComputeLane, type PartHooks, type PartJob } from '../engine/parallel/part-job.ts';
import type { LaneFileOpener } from '../io/lane-file.ts';

/** A lane's output pieces: 1 MB (a lane keeps a few; the coordinator copies each out). */
const LANE_STAGE_BYTES = 1 << 20;

/** The API of a lane whose realm opens output files with `files` (the browser's or Node's). */
export const computeLaneApi = (files: LaneFileOpener) => ({
  /** Merges one part of a tensor; the hooks are the coordinator's, proxied back to it. */
  async run(job: PartJob, hooks: PartHooks): ReturnType<typeof runPart> {
    useSharedStages(LANE_STAGE_BYTES);
    try {
      return await runPart(job, hooks, files);
    } finally {
      // Close the hooks' channel now, not when a collector gets to it: it holds the tensor's
      // coordinator (its buffers, histograms and the input slabs) alive.
      void (hooks as Partial<Record<typeof Comlink.releaseProxy, () => Promise<void>>>)[
        Comlink.releaseProxy
      ]?.();
    }
  },
});

export type ComputeLaneApi = ReturnType<typeof computeLaneApi>;

/**
 * A lane over a port (or a Node worker) whose other end exposes the compute lane API. `lost`
 * rejects if the lane's worker dies: its runs then fail instead of waiting forever.
 */
export function laneOver(endpoint: Comlink.Endpoint, lost?: Promise<never>): ComputeLane {
  const remote = Comlink.wrap<ComputeLaneApi>(endpoint);
  return {
    run: (job, hooks) => {
      const run = remote.run(job, Comlink.proxy(hooks));
      return lost ? Promise.race([run, lost]) : run;
    },
  };
}
