/**
 * Starting and cancelling LoRA extractions from the page, as merges are (features/run): the
 * save folder is chosen first, in the user's click (the picker needs it); the run goes to a
 * merge worker (engine/merge-client.ts) with the settings, the sources (opened folders, the
 * hub and this tab's token, which goes nowhere else) and the folder's name. Settings that start
 * a run go to "Recent recipes".
 *
 * Not recorded for resuming after a reload, unlike merges and MoE builds: the adapter is one
 * file whose modules' SVDs are the whole cost and leave no state to resume from, so an
 * interrupted extraction simply starts over (the panel says so).
 *
 * The adapter, once written, can go straight into a merge: its files are read back from the
 * folder it was written to and registered as an opened adapter folder, and `base+adapter`
 * (mergekit's LoRA form, which the merge's reader resolves part by part) joins the recipe.
 */
import { localFolders, registerLocalFolder } from '../../engine/local-files.ts';
import { MergeCancelledError, startLoraExtraction, type MergeHandle } from '../../engine/merge-client.ts';
import { chooseSaveTarget, opfsFiles, SaveCancelled } from '../../engine/save-target.ts';
import { pushHistory } from '../../shared/history.ts';
import {
  selectLoraFoldersBlock,
  selectLoraModelIds,
  selectLoraOptions,
  selectLoraOutputName,
  selectLoraProblems,
  selectLoraText,
} from '../../stores/lora-selectors.ts';
import { selectModelIds } from '../../stores/selectors.ts';
import { useStudio } from '../../stores/store.ts';
import type { LoraExtractResult } from '../../../workers/runtime/api.ts';
import type { LoraExtractRequest, SaveTarget } from '../../../workers/runtime/requests.ts';

let current: MergeHandle<LoraExtractResult> | undefined;
/** The last run's folder, for reading the adapter back ("Add to the merge"). */
let lastTarget: SaveTarget | undefined;

function describeTarget(t: SaveTarget): string {
  return t.kind === 'directory'
    ? `the folder “${t.handle.name}”`
    : 'browser storage (download the files below)';
}

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
  let target: SaveTarget;
  try {
    target = await chooseSaveTarget(outputName);
  } catch (e) {
    if (e instanceof SaveCancelled) return;
    throw e;
  }
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
  lastTarget = target;
  s.loraRunStarted(s.lora, outputName, describeTarget(target), target.kind === 'opfs' ? target.folder : undefined); // prettier-ignore
  try {
    current = startLoraExtraction(request, target, {
      onProgress: (p) => useStudio.getState().loraRunProgress(p),
      onLog: (l) => useStudio.getState().loraRunLog(l),
    });
    useStudio.getState().loraRunFinished(await current.result);
  } catch (e) {
    useStudio.getState().loraRunFailed((e as Error).message, e instanceof MergeCancelledError);
  } finally {
    current = undefined;
  }
}

export function cancelLora(): void {
  if (!current) return;
  useStudio.getState().loraRunCancelling();
  current.cancel();
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
