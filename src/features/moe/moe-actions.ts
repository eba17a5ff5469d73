/**
 * Starting, cancelling and resuming MoE builds from the page, as merges are (features/run):
 * the save folder is chosen first, in the user's click; the job is recorded in IndexedDB
 * (`kind: 'moe'`, never the token) so that a closed tab can resume it; the build runs in a
 * merge worker and holds the job's lock while it runs. The engine's state file in the output
 * folder decides which shards are already done. A config that starts a build goes to "Recent
 * recipes", as a merge's recipe does.
 */
import { interruptedMoeJobs, saveJob, updateJob, type MoeJobRecord } from '../../engine/job-db.ts';
import { beginJob, mayWriteAgain } from '../../engine/job-start.ts';
import { holdJobLock } from '../../engine/job-lock.ts';
import { localFolders } from '../../engine/local-files.ts';
import { MergeCancelledError, startMoeBuild, type MergeHandle } from '../../engine/merge-client.ts';
import { chooseSaveTarget, SaveCancelled } from '../../engine/save-target.ts';
import {
  selectMoeErrors,
  selectMoeFoldersBlock,
  selectMoeModelIds,
  selectMoeYaml,
} from '../../stores/moe-selectors.ts';
import { DEFAULT_MOE_OUTPUT_NAME } from '../../stores/moe-slice.ts';
import { useStudio } from '../../stores/store.ts';
import { pushHistory } from '../../shared/history.ts';
import { resumeHub } from '../../shared/resume-hub.ts';
import type { MoeResult } from '../../../workers/moe/build-moe.ts';
import type { MoeRequest, SaveTarget } from '../../../workers/runtime/requests.ts';

let current: MergeHandle<MoeResult> | undefined;

function describeTarget(t: SaveTarget): string {
  return t.kind === 'directory'
    ? `the folder “${t.handle.name}”`
    : 'browser storage (download the files below)';
}

async function run(
  request: MoeRequest,
  target: SaveTarget,
  jobId: string,
  release: (() => void) | undefined,
  note?: string,
): Promise<void> {
  const s = useStudio.getState();
  s.moeRunStarted(describeTarget(target), target.kind === 'opfs' ? target.folder : undefined);
  if (note) s.moeRunLog(note);
  try {
    current = startMoeBuild(request, target, {
      onProgress: (p) => useStudio.getState().moeRunProgress(p),
      onLog: (l) => useStudio.getState().moeRunLog(l),
    });
    useStudio.getState().moeRunFinished(await current.result);
    await updateJob(jobId, 'done').catch(() => undefined);
  } catch (e) {
    const cancelled = e instanceof MergeCancelledError;
    useStudio.getState().moeRunFailed((e as Error).message, cancelled);
    await updateJob(jobId, cancelled ? 'cancelled' : 'failed', (e as Error).message).catch(() => undefined);
  } finally {
    current = undefined;
    release?.();
  }
}

/** Call from the Build button's click handler (it opens the folder picker first). */
export async function startMoeFromPage(): Promise<void> {
  const s = useStudio.getState();
  const errors = selectMoeErrors(s);
  if (errors.length > 0) {
    s.moeRunFailed(`Fix the MoE config first: ${errors[0]!.message}`, false);
    return;
  }
  const folders = selectMoeFoldersBlock(s);
  if (folders) {
    s.moeRunFailed(folders, false);
    return;
  }
  const outputName = s.moeOptions.outputName.trim() || DEFAULT_MOE_OUTPUT_NAME;
  if (outputName !== s.moeOptions.outputName) s.setMoeOptions({ outputName });
  let target: SaveTarget;
  try {
    target = await chooseSaveTarget(outputName);
  } catch (e) {
    if (e instanceof SaveCancelled) return;
    throw e;
  }
  const request: MoeRequest = {
    configText: selectMoeYaml(s),
    sources: {
      local: localFolders(selectMoeModelIds(s)),
      hub: { url: s.hubUrl, ...(s.token && { token: s.token }) },
    },
    outputName,
    maxShardBytes: s.moeOptions.shardBytes,
    seed: s.moeOptions.seed,
    ...(s.moeOptions.allowAllSame && { allowAllSame: true }),
  };
  pushHistory(request.configText, 'moe');
  const job: MoeJobRecord = {
    id: crypto.randomUUID(),
    kind: 'moe',
    request,
    target,
    status: 'running',
    startedAt: Date.now(),
    updatedAt: Date.now(),
  };
  await run(request, target, job.id, await beginJob(job));
}

export function cancelMoe(): void {
  if (!current) return;
  useStudio.getState().moeRunCancelling();
  current.cancel();
}

export { interruptedMoeJobs };

/** Resumes an interrupted build (call from a click: a picked folder may need permission again). */
export async function resumeMoeJob(job: MoeJobRecord): Promise<void> {
  if (!(await mayWriteAgain(job.target))) {
    useStudio.getState().moeRunFailed('Permission to write to the output folder was not given.', false);
    return;
  }
  const lock = await holdJobLock(job.id);
  if (lock === 'taken') {
    useStudio.getState().moeRunFailed('This build is already running in another tab.', false);
    return;
  }
  let request: MoeRequest;
  let note: string | undefined;
  try {
    const s = useStudio.getState();
    s.setStudioMode('moe');
    s.setMoeOptions({
      outputName: job.request.outputName,
      allowAllSame: job.request.allowAllSame === true,
      ...(job.request.seed !== undefined && { seed: job.request.seed }),
      ...(job.request.maxShardBytes !== undefined && { shardBytes: job.request.maxShardBytes }),
    });
    s.editMoeYaml(job.request.configText);
    // The token was never stored: this tab's goes along only to the hub it was given for.
    const resumed = resumeHub(job.request.sources.hub, s.hubUrl, s.token, 'build');
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
