/**
 * The Extract LoRA tool (mergekit-extract-lora): the form's settings (two models and the CLI's
 * options), the output folder's name, and the run (status, progress, log, result summary).
 * Kept apart from the merge's and the MoE builder's state, so switching tools loses nothing.
 */
import type { StateCreator } from 'zustand';
import type { ExtractProgress } from '../../workers/lora-extract/extract-progress.ts';
import type { LoraExtractResult } from '../../workers/runtime/api.ts';
import type { SaveTarget } from '../../workers/runtime/requests.ts';
import { IDLE_RUN, jobRunTransitions, type JobRun } from './job-run.ts';
import * as edit from './lora-edits.ts';
import type { StudioState } from './store.ts';

export interface LoraRun extends JobRun<ExtractProgress, LoraExtractResult> {
  /** The settings and folder name the run used (the result speaks of them, not of later edits). */
  readonly config: edit.LoraConfig | undefined;
  readonly outputName: string | undefined;
}

export interface LoraSlice {
  readonly lora: edit.LoraConfig;
  /** The output folder's name as typed: empty uses defaultLoraOutputName. */
  readonly loraOutputName: string;
  readonly loraRun: LoraRun;
  /** Why the settings in the page's link could not be loaded. */
  readonly loraLinkError: string | undefined;
  setLora(config: edit.LoraConfig): void;
  updateLora(patch: Partial<edit.LoraConfig>): void;
  /** The models chosen in the model picker: the picker's base (else the first) and another one. */
  setLoraFromChosen(ids: readonly string[], base?: string): void;
  /** Settings as text (a link, Recent recipes); false, and nothing changed, when it is not. */
  editLoraText(text: string): boolean;
  setLoraLinkError(message: string | undefined): void;
  setLoraOutputName(name: string): void;
  loraRunStarted(
    config: edit.LoraConfig,
    outputName: string,
    savedTo: string,
    savedFolder?: string,
    savedTarget?: SaveTarget,
  ): void;
  loraRunProgress(p: ExtractProgress): void;
  loraRunLog(line: string): void;
  loraRunFinished(r: LoraExtractResult): void;
  loraRunFailed(message: string, cancelled: boolean): void;
  loraRunCancelling(): void;
}

const IDLE: LoraRun = { ...IDLE_RUN, config: undefined, outputName: undefined };

export const createLoraSlice: StateCreator<StudioState, [], [], LoraSlice> = (set) => {
  const run = jobRunTransitions<ExtractProgress, LoraExtractResult>((f) =>
    set((s) => ({ loraRun: { ...s.loraRun, ...f(s.loraRun) } })),
  );
  return {
    lora: edit.EMPTY_LORA,
    loraOutputName: '',
    loraRun: IDLE,
    loraLinkError: undefined,
    setLora: (lora) => set({ lora }),
    updateLora: (patch) => set((s) => ({ lora: { ...s.lora, ...patch } })),
    setLoraFromChosen: (ids, base) => set((s) => ({ lora: edit.fromChosenModels(s.lora, ids, base) })),
    editLoraText: (text) => {
      const parsed = edit.parseLoraText(text);
      if ('problem' in parsed) return false;
      set({ lora: parsed.config });
      return true;
    },
    setLoraLinkError: (loraLinkError) => set({ loraLinkError }),
    setLoraOutputName: (loraOutputName) => set({ loraOutputName }),
    loraRunStarted: (config, outputName, savedTo, savedFolder, savedTarget) =>
      set({ loraRun: { ...IDLE, status: 'running', config, outputName, savedTo, savedFolder, savedTarget } }),
    loraRunProgress: run.progress,
    loraRunLog: run.log,
    loraRunFinished: run.finished,
    loraRunFailed: run.failed,
    loraRunCancelling: run.cancelling,
  };
};
