/**
 * The one place that creates merge workers. A merge runs in its own module worker (so the tab
 * never freezes), wrapped with comlink; progress and log lines come back through callbacks.
 * Cancel asks the engine to stop (it checks between tensors and aborts reads); if the worker
 * has not stopped within a second it is terminated, which is always safe: metadata files are
 * written last, so a killed job never leaves a folder that looks complete.
 */
import * as Comlink from 'comlink';
import { registerAbortTransfer } from '../../workers/runtime/abort-transfer.ts';
import type { MergeApi, MergeCallbacks, PlanSummary } from '../../workers/runtime/api.ts';
import type { MergeRequest, ModelSources, SaveTarget } from '../../workers/runtime/requests.ts';
import type { MergeResult } from '../../workers/protocol.ts';

export class MergeCancelledError extends Error {
  override readonly name: string = 'MergeCancelledError';
  constructor() {
    super('The merge was cancelled. Finished shards are kept: run it again to resume.');
  }
}

export interface MergeHandle {
  readonly result: Promise<MergeResult>;
  cancel(): void;
}

function spawn(): { api: Comlink.Remote<MergeApi>; worker: Worker } {
  registerAbortTransfer();
  const worker = new Worker(new URL('../../workers/runtime/merge.worker.ts', import.meta.url), {
    type: 'module',
  });
  return { api: Comlink.wrap<MergeApi>(worker), worker };
}

/** How long a cancelled worker gets to stop by itself before it is terminated. */
const CANCEL_GRACE_MS = 1000;

export function startMerge(
  request: MergeRequest,
  target: SaveTarget,
  callbacks: MergeCallbacks,
): MergeHandle {
  const { api, worker } = spawn();
  const ac = new AbortController();
  let settle: ((e: Error) => void) | undefined;
  const killed = new Promise<never>((_, reject) => (settle = reject));
  const run = api.merge(request, target, Comlink.proxy(callbacks), ac.signal).catch((e: unknown) => {
    throw ac.signal.aborted ? new MergeCancelledError() : e;
  });
  const result = Promise.race([run, killed]).finally(() => worker.terminate());
  return {
    result,
    cancel() {
      if (ac.signal.aborted) return;
      ac.abort();
      setTimeout(() => {
        worker.terminate();
        settle?.(new MergeCancelledError());
      }, CANCEL_GRACE_MS);
    },
  };
}

/** Plans without merging (headers only): sizes and warnings for the Run panel. */
export async function planMerge(
  recipeText: string,
  sources: ModelSources,
  signal?: AbortSignal,
): Promise<PlanSummary> {
  const { api, worker } = spawn();
  try {
    return await api.plan(recipeText, sources, signal);
  } finally {
    worker.terminate();
  }
}

/** Reads every input of a merge without merging (the benchmark's read-only baseline). */
export async function readInputs(
  request: MergeRequest,
): Promise<{ bytes: number; requests: number; ms: number }> {
  const { api, worker } = spawn();
  try {
    return await api.readInputs(request);
  } finally {
    worker.terminate();
  }
}
