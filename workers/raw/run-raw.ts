/**
 * A pytorch merge (mergekit-pytorch): bare checkpoints merged tensor by tensor into
 * model.safetensors (or shards and their index), through the same engine as a model merge:
 * streamed reads, bounded memory, resumable shards, the same kernels and bytes.
 */
import { runMerge, type MergeJob } from '../engine/run-merge.ts';
import { referencedModels } from '../plan/recipe.ts';
import type { MergeResult } from '../protocol.ts';
import { buildRawPlan, type RawTensorSet } from './raw-plan.ts';
import { loadRawModels } from './raw-models.ts';

export interface RawMergeJob extends Omit<MergeJob, 'raw' | 'hubModels' | 'outputName'> {
  /** Tensors missing from some models: an error (default), merged from those that have them, or left out. */
  readonly tensors?: RawTensorSet;
}

export function runRawMerge(job: RawMergeJob): Promise<MergeResult> {
  const { tensors, ...rest } = job;
  return runMerge({
    ...rest,
    raw: {
      load: (signal) => loadRawModels(referencedModels(job.recipe), job.resolve, signal),
      plan: (models) =>
        buildRawPlan(job.recipe, models, {
          ...(tensors && { tensors }),
          ...(job.seed !== undefined && { seed: job.seed }),
        }),
    },
  });
}
