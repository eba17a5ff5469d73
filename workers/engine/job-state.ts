/**
 * Resume support: a small state file in the output folder names the job (a fingerprint of the
 * plan, the inputs' revisions or files and the shard layout) and the shards already complete. A
 * later run of the same job skips those shards; any other job writes its own state over it
 * before anything else (./output-folder.ts) and starts over, so stale files of a different merge
 * are never mistaken for finished work.
 */
import type { LoadedModel } from '../io/load-model.ts';
import type { OutputSink } from '../io/source.ts';
import type { MergePlan } from '../plan/plan-types.ts';
import { fnv1a32 } from '../rng.ts';
import type { ShardPlan } from './shards.ts';

export const JOB_STATE_FILE = '.merge-studio-job.json';

export interface JobState {
  readonly fingerprint: string;
  readonly completed: string[];
}

/**
 * What identifies the input models' contents. Hub models are pinned to a commit. Local ones
 * have no revision: their weight files' modified times (a File's lastModified, Node's mtimeMs)
 * stand for their contents, so a checkpoint replaced by one of the same size starts the job
 * over instead of resuming stale shards.
 */
export function inputsDigest(models: ReadonlyMap<string, LoadedModel>) {
  return [...models.values()].map((m) => ({
    id: m.id,
    revision: m.source.revision ?? null,
    files: m.weightFiles,
  }));
}

export function jobFingerprint(
  plan: MergePlan,
  models: ReadonlyMap<string, LoadedModel>,
  shards: readonly ShardPlan[],
): string {
  const inputs = inputsDigest(models);
  const text = JSON.stringify({
    recipe: plan.recipe,
    tokenizer: tokenizerDigest(plan),
    seed: plan.seed,
    compute: plan.computeDtype,
    inputs,
    shards: shards.map((s) => [s.file, s.layout.totalSize, s.tensors.map((t) => t.name)]),
  });
  return textFingerprint(text);
}

/** A job's name for resume, from the text of all it depends on (a merge's, a MoE build's, ...). */
export function textFingerprint(text: string): string {
  // Two independent 32-bit hashes (forward and reversed text) make accidental matches negligible.
  return `${fnv1a32(text).toString(16)}-${fnv1a32([...text].reverse().join('')).toString(16)}-${text.length}`;
}

/** A token -> row map's length and a 32-bit hash of it. */
function rowsDigest(r: Int32Array): string {
  let h = 0x811c9dc5;
  for (const x of r) h = Math.imul(h ^ (x & 0xffff) ^ (x >>> 16), 0x01000193);
  return `${r.length}:${(h >>> 0).toString(16)}`;
}

/**
 * What tokenizer merging decided (each embedding input's token -> row map and default rows, and
 * the output's tokenizer files): these come from the models' tokenizer files, which the weight
 * files' revisions and times do not cover, so a re-numbered tokenizer.json starts the job over.
 */
function tokenizerDigest(plan: MergePlan): unknown {
  const tensors = plan.tensors
    .filter((t) => t.vocab)
    .map((t) => [
      t.name,
      [...(t.base ? [t.base] : []), ...t.inputs].map((x) => x.reindex && rowsDigest(x.reindex.rows)),
      t.vocab,
    ]);
  return tensors.length === 0 && !plan.tokenizerFiles ? undefined : { tensors, files: plan.tokenizerFiles };
}

export async function loadJobState(sink: OutputSink, fingerprint: string): Promise<JobState> {
  const fresh: JobState = { fingerprint, completed: [] };
  const bytes = await sink.readFile?.(JOB_STATE_FILE);
  if (!bytes) return fresh;
  try {
    const saved = JSON.parse(new TextDecoder().decode(bytes)) as JobState;
    return saved.fingerprint === fingerprint && Array.isArray(saved.completed)
      ? { fingerprint, completed: [...saved.completed] }
      : fresh;
  } catch {
    return fresh;
  }
}

export async function saveJobState(sink: OutputSink, state: JobState): Promise<void> {
  await sink.writeFile(JOB_STATE_FILE, JSON.stringify(state));
}
