/**
 * Starting, cancelling and resuming merges from the page. The save folder is chosen first, in
 * the user's click (the picker needs it), then the job is recorded in IndexedDB so a closed tab
 * can resume it, and the merge runs in a worker. The token goes to the worker in memory only,
 * and a resumed job gets it only when it reads from the hub the token was given for. While it
 * runs, the job holds its lock (engine/job-lock.ts): other tabs do not offer it for resuming,
 * and a resume clicked in two tabs runs in one.
 */
import { interruptedJobs, saveJob, updateJob, type JobRecord } from '../../engine/job-db.ts';
import { beginJob, mayWriteAgain } from '../../engine/job-start.ts';
import { holdJobLock } from '../../engine/job-lock.ts';
import { localFolders } from '../../engine/local-files.ts';
import { MergeCancelledError, startMerge, type MergeHandle } from '../../engine/merge-client.ts';
import { chooseSaveTarget, SaveCancelled } from '../../engine/save-target.ts';
import {
  selectFoldersBlock,
  selectModelIds,
  selectRecipeProblems,
  selectRecipeYaml,
} from '../../stores/selectors.ts';
import { DEFAULT_OUTPUT_NAME } from '../../stores/run-slice.ts';
import { useStudio } from '../../stores/store.ts';
import type { MergeRequest, SaveTarget } from '../../../workers/runtime/requests.ts';
import { resumeHub } from '../../shared/resume-hub.ts';
import { pushHistory } from '../../shared/history.ts';

let current: MergeHandle | undefined;

function describeTarget(t: SaveTarget): string {
  return t.kind === 'directory'
    ? `the folder “${t.handle.name}”`
    : 'browser storage (download the files below)';
}

/** Runs the job, whose lock the caller took (`release`: undefined without Web Locks). */
async function run(
  request: MergeRequest,
  target: SaveTarget,
  jobId: string,
  release: (() => void) | undefined,
  note?: string,
): Promise<void> {
  const s = useStudio.getState();
  s.runStarted(describeTarget(target), target.kind === 'opfs' ? target.folder : undefined);
  if (note) s.runLog(note);
  try {
    current = startMerge(request, target, {
      onProgress: (p) => useStudio.getState().runProgress(p),
      onLog: (l) => useStudio.getState().runLog(l),
    });
    const result = await current.result;
    useStudio.getState().runFinished(result);
    await updateJob(jobId, 'done');
  } catch (e) {
    const cancelled = e instanceof MergeCancelledError;
    useStudio.getState().runFailed((e as Error).message, cancelled);
    await updateJob(jobId, cancelled ? 'cancelled' : 'failed', (e as Error).message);
  } finally {
    current = undefined;
    release?.();
  }
}

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
  let target: SaveTarget;
  try {
    target = await chooseSaveTarget(outputName);
  } catch (e) {
    if (e instanceof SaveCancelled) return;
    throw e;
  }
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
  const job: JobRecord = {
    id: crypto.randomUUID(),
    request,
    target,
    status: 'running',
    startedAt: Date.now(),
    updatedAt: Date.now(),
  };
  await run(request, target, job.id, await beginJob(job));
}

export function cancelMerge(): void {
  if (!current) return;
  useStudio.getState().runCancelling();
  current.cancel();
}

export { interruptedJobs };

/** Resumes an interrupted job (call from a click: a picked folder may need permission again). */
export async function resumeJob(job: JobRecord): Promise<void> {
  if (!(await mayWriteAgain(job.target))) {
    useStudio.getState().runFailed('Permission to write to the output folder was not given.', false);
    return;
  }
  // The banner offers only jobs no tab runs, but another tab may have resumed this one since.
  const lock = await holdJobLock(job.id);
  if (lock === 'taken') {
    useStudio.getState().runFailed('This merge is already running in another tab.', false);
    return;
  }
  let request: MergeRequest;
  let note: string | undefined;
  try {
    const s = useStudio.getState();
    s.editYaml(job.request.recipeText);
    // The name box shows the folder the resumed merge writes to.
    s.setRunOptions({ outputName: job.request.outputName });
    // The token was never stored: this tab's goes along only to the hub it was given for.
    const resumed = resumeHub(job.request.sources.hub, s.hubUrl, s.token);
    note = resumed.note;
    request = {
      ...job.request,
      sources: { ...job.request.sources, ...(resumed.hub && { hub: resumed.hub }) },
    };
    await saveJob({ ...job, status: 'running', updatedAt: Date.now() }).catch(() => undefined);
  } catch (e) {
    lock?.(); // run() below lets go of it from here on; before it, a failure must too
    throw e;
  }
  await run(request, job.target, job.id, lock, note);
}
