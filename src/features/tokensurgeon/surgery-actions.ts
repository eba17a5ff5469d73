/**
 * Starting, cancelling and resuming tokenizer transplants from the page, as the other tools'
 * jobs are (shared/recorded-job.ts): the save folder is chosen first, in the user's click; the
 * job is recorded in IndexedDB (`kind: 'tokensurgeon'`: the request and the folder, never the
 * token) and holds its lock while it runs in a merge worker. Settings that start a run go to
 * "Recent recipes". A transplant interrupted by a closed tab or a crash is offered after a
 * reload (SurgeryResumeBanner) and runs again into the same folder, where the shards an earlier
 * run finished are kept; so does running again into that folder after Cancel.
 */
import { interruptedSurgeryJobs, type SurgeryJobRecord } from '../../engine/job-db.ts';
import { localFolders } from '../../engine/local-files.ts';
import { startTokenSurgeon } from '../../engine/merge-client.ts';
import { pickSaveTarget } from '../../engine/pick-save-target.ts';
import { pushHistory } from '../../shared/history.ts';
import { recordedJobs } from '../../shared/recorded-job.ts';
import { useStudio } from '../../stores/store.ts';
import { surgeryConfig, type SurgeryConfig } from '../../stores/tokensurgeon-edits.ts';
import {
  selectSurgeryFoldersBlock,
  selectSurgeryModelIds,
  selectSurgeryOptions,
  selectSurgeryOutputName,
  selectSurgeryProblems,
  selectSurgeryText,
} from '../../stores/tokensurgeon-selectors.ts';
import type { SurgeryJobResult } from '../../../workers/runtime/api.ts';
import type { TokenSurgeonRequest } from '../../../workers/runtime/requests.ts';

/** The form's settings a request was made from. */
const configOf = (r: TokenSurgeonRequest): SurgeryConfig => surgeryConfig(r.model, r.donor, r.options);

const transplants = recordedJobs<SurgeryJobRecord, SurgeryJobResult>({
  what: 'transplant',
  view: () => {
    const s = useStudio.getState();
    return {
      started: (request, savedTo, savedFolder, target) =>
        s.surgeryRunStarted(configOf(request), request.outputName, savedTo, savedFolder, target),
      log: s.surgeryRunLog,
      finished: s.surgeryRunFinished,
      failed: s.surgeryRunFailed,
      cancelling: s.surgeryRunCancelling,
    };
  },
  run: (request, target) =>
    startTokenSurgeon(request, target, {
      onProgress: (p) => useStudio.getState().surgeryRunProgress(p),
      onLog: (l) => useStudio.getState().surgeryRunLog(l),
    }),
  show: (request) => {
    const s = useStudio.getState();
    s.setStudioMode('tokensurgeon');
    s.setSurgery(configOf(request));
    s.setSurgeryOutputName(request.outputName);
  },
  hub: () => ({ url: useStudio.getState().hubUrl, token: useStudio.getState().token }),
});

/** Call from the Transplant button's click handler (it opens the folder picker first). */
export async function startSurgeryFromPage(): Promise<void> {
  const s = useStudio.getState();
  const block = selectSurgeryProblems(s)[0]?.message ?? selectSurgeryFoldersBlock(s);
  if (block) {
    s.surgeryRunFailed(block, false);
    return;
  }
  const outputName = selectSurgeryOutputName(s);
  const target = await pickSaveTarget(outputName);
  if (!target) return;
  const request: TokenSurgeonRequest = {
    model: s.surgery.model.trim(),
    donor: s.surgery.donor.trim(),
    options: selectSurgeryOptions(s),
    sources: {
      local: localFolders(selectSurgeryModelIds(s)),
      hub: { url: s.hubUrl, ...(s.token && { token: s.token }) },
    },
    outputName,
  };
  pushHistory(selectSurgeryText(s), 'tokensurgeon');
  await transplants.start({
    id: crypto.randomUUID(),
    kind: 'tokensurgeon',
    request,
    target,
    status: 'running',
    startedAt: Date.now(),
    updatedAt: Date.now(),
  });
}

export function cancelSurgery(): void {
  transplants.cancel();
}

export { interruptedSurgeryJobs };

/** Resumes an interrupted transplant (call from a click: a picked folder may need permission again). */
export function resumeSurgeryJob(job: SurgeryJobRecord): Promise<void> {
  return transplants.resume(job);
}
