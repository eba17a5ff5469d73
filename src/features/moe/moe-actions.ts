/**
 * Starting, cancelling and resuming MoE builds from the page, as merges are (features/run):
 * the save folder is chosen first, in the user's click; the job is recorded in IndexedDB
 * (`kind: 'moe'`, never the token) so that a closed tab can resume it; the build runs in a
 * merge worker and holds the job's lock while it runs (shared/recorded-job.ts, as merges and
 * LoRA extractions do). The engine's state file in the output folder decides which shards are
 * already done. A config that starts a build goes to "Recent recipes", as a merge's recipe does.
 */
import { interruptedMoeJobs, type MoeJobRecord } from '../../engine/job-db.ts';
import { localFolders } from '../../engine/local-files.ts';
import { startMoeBuild } from '../../engine/merge-client.ts';
import { pickSaveTarget } from '../../engine/pick-save-target.ts';
import {
  selectMoeErrors,
  selectMoeFoldersBlock,
  selectMoeModelIds,
  selectMoeYaml,
} from '../../stores/moe-selectors.ts';
import { DEFAULT_MOE_OUTPUT_NAME } from '../../stores/moe-slice.ts';
import { useStudio } from '../../stores/store.ts';
import { pushHistory } from '../../shared/history.ts';
import { recordedJobs } from '../../shared/recorded-job.ts';
import type { MoeResult } from '../../../workers/moe/build-moe.ts';
import type { MoeRequest } from '../../../workers/runtime/requests.ts';

const builds = recordedJobs<MoeJobRecord, MoeResult>({
  what: 'build',
  view: () => {
    const s = useStudio.getState();
    return {
      started: (_request, savedTo, savedFolder, target) => s.moeRunStarted(savedTo, savedFolder, target),
      log: s.moeRunLog,
      finished: s.moeRunFinished,
      failed: s.moeRunFailed,
      cancelling: s.moeRunCancelling,
    };
  },
  run: (request, target) =>
    startMoeBuild(request, target, {
      onProgress: (p) => useStudio.getState().moeRunProgress(p),
      onLog: (l) => useStudio.getState().moeRunLog(l),
    }),
  show: (request) => {
    const s = useStudio.getState();
    s.setStudioMode('moe');
    s.setMoeOptions({
      outputName: request.outputName,
      allowAllSame: request.allowAllSame === true,
      ...(request.seed !== undefined && { seed: request.seed }),
      ...(request.maxShardBytes !== undefined && { shardBytes: request.maxShardBytes }),
    });
    s.editMoeYaml(request.configText);
  },
  hub: () => ({ url: useStudio.getState().hubUrl, token: useStudio.getState().token }),
});

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
  const target = await pickSaveTarget(outputName);
  if (!target) return;
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
  await builds.start({
    id: crypto.randomUUID(),
    kind: 'moe',
    request,
    target,
    status: 'running',
    startedAt: Date.now(),
    updatedAt: Date.now(),
  });
}

export function cancelMoe(): void {
  builds.cancel();
}

export { interruptedMoeJobs };

/** Resumes an interrupted build (call from a click: a picked folder may need permission again). */
export function resumeMoeJob(job: MoeJobRecord): Promise<void> {
  return builds.resume(job);
}
