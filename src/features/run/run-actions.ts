/**
 * Starting, cancelling and resuming merges from the page. The save folder is chosen first, in
 * the user's click (the picker needs it), then the job is recorded in IndexedDB so a closed tab
 * can resume it, and the merge runs in a worker. The token goes to the worker in memory only,
 * and a resumed job gets it only when it reads from the hub the token was given for. While it
 * runs, the job holds its lock (engine/job-lock.ts): other tabs do not offer it for resuming,
 * and a resume clicked in two tabs runs in one. Running and resuming are the other tools' too
 * (shared/recorded-job.ts).
 */
import { interruptedJobs, type JobRecord } from '../../engine/job-db.ts';
import { localFolders } from '../../engine/local-files.ts';
import { startMerge } from '../../engine/merge-client.ts';
import { pickSaveTarget } from '../../engine/pick-save-target.ts';
import {
  selectFoldersBlock,
  selectModelIds,
  selectRecipeProblems,
  selectRecipeYaml,
} from '../../stores/selectors.ts';
import { DEFAULT_OUTPUT_NAME } from '../../stores/run-slice.ts';
import { useStudio } from '../../stores/store.ts';
import type { MergeResult } from '../../../workers/protocol.ts';
import type { MergeRequest } from '../../../workers/runtime/requests.ts';
import { pushHistory } from '../../shared/history.ts';
import { recordedJobs } from '../../shared/recorded-job.ts';

const merges = recordedJobs<JobRecord, MergeResult>({
  what: 'merge',
  view: () => {
    const s = useStudio.getState();
    return {
      started: (_request, savedTo, savedFolder, target) => s.runStarted(savedTo, savedFolder, target),
      log: s.runLog,
      finished: s.runFinished,
      failed: s.runFailed,
      cancelling: s.runCancelling,
    };
  },
  run: (request, target) =>
    startMerge(request, target, {
      onProgress: (p) => useStudio.getState().runProgress(p),
      onLog: (l) => useStudio.getState().runLog(l),
    }),
  show: (request) => {
    const s = useStudio.getState();
    s.editYaml(request.recipeText);
    // The name box shows the folder the resumed merge writes to.
    s.setRunOptions({ outputName: request.outputName });
  },
  hub: () => ({ url: useStudio.getState().hubUrl, token: useStudio.getState().token }),
});

/** Call from the Merge button's click handler (it opens the folder picker first). */
export async function startMergeFromPage(): Promise<void> {
  const s = useStudio.getState();
  const errors = selectRecipeProblems(s).filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    s.runFailed(`Fix the recipe first: ${errors[0]!.message}`, false);
    return;
  }
  const folders = selectFoldersBlock(s);
  if (folders) {
    s.runFailed(folders, false);
    return;
  }
  // An empty name box means the default name: the box then shows the name the merge uses.
  const outputName = s.runOptions.outputName.trim() || DEFAULT_OUTPUT_NAME;
  if (outputName !== s.runOptions.outputName) s.setRunOptions({ outputName });
  const target = await pickSaveTarget(outputName);
  if (!target) return;
  const recipeText = selectRecipeYaml(s);
  const request: MergeRequest = {
    recipeText,
    sources: {
      local: localFolders(selectModelIds(s)),
      hub: { url: s.hubUrl, ...(s.token && { token: s.token }) },
    },
    outputName,
    maxShardBytes: s.runOptions.shardBytes,
    seed: s.runOptions.seed,
    backend: s.runOptions.backend,
  };
  pushHistory(recipeText);
  await merges.start({
    id: crypto.randomUUID(),
    request,
    target,
    status: 'running',
    startedAt: Date.now(),
    updatedAt: Date.now(),
  });
}

export function cancelMerge(): void {
  merges.cancel();
}

export { interruptedJobs };

/** Resumes an interrupted job (call from a click: a picked folder may need permission again). */
export function resumeJob(job: JobRecord): Promise<void> {
  return merges.resume(job);
}
