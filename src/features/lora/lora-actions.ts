/**
 * Starting, cancelling and resuming LoRA extractions from the page, as merges and MoE builds
 * are (shared/recorded-job.ts): the save folder is chosen first, in the user's click (the
 * picker needs it); the job is recorded in IndexedDB (`kind: 'lora'`: the request and the
 * folder, never the token) and holds its lock while it runs in a merge worker, with the
 * settings, the sources (opened folders, the hub and this tab's token, which goes nowhere else)
 * and the folder's name. Settings that start a run go to "Recent recipes".
 *
 * An extraction interrupted by a closed tab or a crash is offered after a reload
 * (LoraResumeBanner) and runs again into the same folder, where the engine's checkpoint
 * (workers/lora-extract/checkpoint.ts) skips the modules an earlier run finished; so does
 * extracting again into that folder after Cancel. Nothing here empties the folder.
 *
 * The adapter, once written, can go straight into a merge: its files are read back from the
 * folder it was written to and registered as an opened adapter folder, and `base+adapter`
 * (mergekit's LoRA form, which the merge's reader resolves part by part) joins the recipe.
 */
import { interruptedLoraJobs, type LoraJobRecord } from '../../engine/job-db.ts';
import { localFolders, registerLocalFolder } from '../../engine/local-files.ts';
import { startLoraExtraction } from '../../engine/merge-client.ts';
import { pickSaveTarget } from '../../engine/pick-save-target.ts';
import { opfsFiles } from '../../engine/save-target.ts';
import { pushHistory } from '../../shared/history.ts';
import { recordedJobs } from '../../shared/recorded-job.ts';
import {
  selectLoraFoldersBlock,
  selectLoraModelIds,
  selectLoraOptions,
  selectLoraOutputName,
  selectLoraProblems,
  selectLoraText,
} from '../../stores/lora-selectors.ts';
import type { LoraConfig } from '../../stores/lora-edits.ts';
import { selectModelIds } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import type { LoraExtractResult } from '../../../workers/runtime/api.ts';
import type { LoraExtractRequest, SaveTarget } from '../../../workers/runtime/requests.ts';

/** The last run's folder, for reading the adapter back ("Add to the merge"). */
let lastTarget: SaveTarget | undefined;

/** The form's settings a request was made from. */
const configOf = (r: LoraExtractRequest): LoraConfig => ({ ...r.options, model: r.model, base: r.base });

const extractions = recordedJobs<LoraJobRecord, LoraExtractResult>({
  what: 'extraction',
  view: () => {
    const s = useStudio.getState();
    return {
      // The result speaks of the settings the run used, not of later edits.
      started: (request, savedTo, savedFolder, target) =>
        s.loraRunStarted(configOf(request), request.outputName, savedTo, savedFolder, target),
      log: s.loraRunLog,
      finished: s.loraRunFinished,
      failed: s.loraRunFailed,
      cancelling: s.loraRunCancelling,
    };
  },
  run: (request, target) => {
    lastTarget = target;
    return startLoraExtraction(request, target, {
      onProgress: (p) => useStudio.getState().loraRunProgress(p),
      onLog: (l) => useStudio.getState().loraRunLog(l),
    });
  },
  show: (request) => {
    const s = useStudio.getState();
    s.setStudioMode('lora');
    s.setLora(configOf(request));
    s.setLoraOutputName(request.outputName);
  },
  hub: () => ({ url: useStudio.getState().hubUrl, token: useStudio.getState().token }),
});

/** Call from the Extract button's click handler (it opens the folder picker first). */
export async function startLoraFromPage(): Promise<void> {
  const s = useStudio.getState();
  const problems = selectLoraProblems(s);
  const block = problems[0]?.message ?? selectLoraFoldersBlock(s);
  if (block) {
    s.loraRunFailed(block, false);
    return;
  }
  const outputName = selectLoraOutputName(s);
  const target = await pickSaveTarget(outputName);
  if (!target) return;
  const request: LoraExtractRequest = {
    model: s.lora.model.trim(),
    base: s.lora.base.trim(),
    options: selectLoraOptions(s),
    sources: {
      local: localFolders(selectLoraModelIds(s)),
      hub: { url: s.hubUrl, ...(s.token && { token: s.token }) },
    },
    outputName,
  };
  pushHistory(selectLoraText(s), 'lora');
  await extractions.start({
    id: crypto.randomUUID(),
    kind: 'lora',
    request,
    target,
    status: 'running',
    startedAt: Date.now(),
    updatedAt: Date.now(),
  });
}

export function cancelLora(): void {
  extractions.cancel();
}

export { interruptedLoraJobs };

/** Resumes an interrupted extraction (call from a click: a picked folder may need permission again). */
export function resumeLoraJob(job: LoraJobRecord): Promise<void> {
  return extractions.resume(job);
}

/** The written files, read back from the folder the last run wrote (a picked folder or OPFS). */
async function writtenFiles(names: readonly string[]): Promise<File[]> {
  const t = lastTarget;
  if (!t) return [];
  if (t.kind === 'opfs') return opfsFiles(t.folder, names);
  const files: File[] = [];
  for (const name of names) files.push(await (await t.handle.getFileHandle(name)).getFile());
  return files;
}

/**
 * Opens the adapter just written as a local adapter folder and adds `base+adapter` to the
 * merge's models; switches to Merge. Returns what to tell the user when it cannot.
 */
export async function addAdapterToMerge(): Promise<string | undefined> {
  const s = useStudio.getState();
  const { result, config, outputName } = s.loraRun;
  if (!result || !config || !outputName) return 'Extract an adapter first.';
  if (config.base.includes('+'))
    return 'The base is a base+adapter model already: a model takes one adapter.';
  let files: File[];
  try {
    files = await writtenFiles(result.files.map((f) => f.path));
  } catch (e) {
    return `The adapter's files could not be read back: ${(e as Error).message}`;
  }
  if (files.length !== result.files.length)
    return 'The adapter’s files are no longer where they were written.';
  const id = `${config.base}+${outputName}`;
  registerLocalFolder(outputName, { files: files.map((file) => ({ path: file.name, file })) });
  s.addLocalFolder(outputName, {
    files: files.length,
    bytes: files.reduce((n, f) => n + f.size, 0),
    adapter: true,
  });
  if (!selectModelIds(useStudio.getState()).includes(id)) s.addModel(id);
  s.setStudioMode('merge');
  return undefined;
}
