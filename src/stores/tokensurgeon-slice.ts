/**
 * The tokenizer transplant tool (mergekit-tokensurgeon): the form's settings (the model, the
 * donor and the CLI's options), the output folder's name, and the run (status, progress, log,
 * result summary). Kept apart from the other tools' state, so switching tools loses nothing.
 */
import type { StateCreator } from 'zustand';
import type { SurgeryProgress } from '../../workers/tokensurgeon/surgery-progress.ts';
import type { SurgeryJobResult } from '../../workers/runtime/api.ts';
import type { SaveTarget } from '../../workers/runtime/requests.ts';
import { IDLE_RUN, jobRunTransitions, type JobRun } from './job-run.ts';
import type { StudioState } from './store.ts';
import * as edit from './tokensurgeon-edits.ts';

export interface SurgeryRun extends JobRun<SurgeryProgress, SurgeryJobResult> {
  /** The settings and folder name the run used (the result speaks of them, not of later edits). */
  readonly config: edit.SurgeryConfig | undefined;
  readonly outputName: string | undefined;
}

export interface SurgerySlice {
  readonly surgery: edit.SurgeryConfig;
  /** The output folder's name as typed: empty uses defaultSurgeryOutputName. */
  readonly surgeryOutputName: string;
  readonly surgeryRun: SurgeryRun;
  /** Why the settings in the page's link could not be loaded. */
  readonly surgeryLinkError: string | undefined;
  setSurgery(config: edit.SurgeryConfig): void;
  updateSurgery(patch: Partial<edit.SurgeryConfig>): void;
  /** The models chosen in the model picker: the first as the model, the second as the donor. */
  setSurgeryFromChosen(ids: readonly string[]): void;
  /** Settings as text (a link, Recent recipes); false, and nothing changed, when it is not. */
  editSurgeryText(text: string): boolean;
  setSurgeryLinkError(message: string | undefined): void;
  setSurgeryOutputName(name: string): void;
  surgeryRunStarted(
    config: edit.SurgeryConfig,
    outputName: string,
    savedTo: string,
    savedFolder?: string,
    savedTarget?: SaveTarget,
  ): void;
  surgeryRunProgress(p: SurgeryProgress): void;
  surgeryRunLog(line: string): void;
  surgeryRunFinished(r: SurgeryJobResult): void;
  surgeryRunFailed(message: string, cancelled: boolean): void;
  surgeryRunCancelling(): void;
}

const IDLE: SurgeryRun = { ...IDLE_RUN, config: undefined, outputName: undefined };

export const createSurgerySlice: StateCreator<StudioState, [], [], SurgerySlice> = (set) => {
  const run = jobRunTransitions<SurgeryProgress, SurgeryJobResult>((f) =>
    set((s) => ({ surgeryRun: { ...s.surgeryRun, ...f(s.surgeryRun) } })),
  );
  return {
    surgery: edit.EMPTY_SURGERY,
    surgeryOutputName: '',
    surgeryRun: IDLE,
    surgeryLinkError: undefined,
    setSurgery: (surgery) => set({ surgery }),
    updateSurgery: (patch) => set((s) => ({ surgery: { ...s.surgery, ...patch } })),
    setSurgeryFromChosen: (ids) => set((s) => ({ surgery: edit.fromChosenModels(s.surgery, ids) })),
    editSurgeryText: (text) => {
      const parsed = edit.parseSurgeryText(text);
      if ('problem' in parsed) return false;
      set({ surgery: parsed.config });
      return true;
    },
    setSurgeryLinkError: (surgeryLinkError) => set({ surgeryLinkError }),
    setSurgeryOutputName: (surgeryOutputName) => set({ surgeryOutputName }),
    surgeryRunStarted: (config, outputName, savedTo, savedFolder, savedTarget) =>
      set({
        surgeryRun: { ...IDLE, status: 'running', config, outputName, savedTo, savedFolder, savedTarget },
      }),
    surgeryRunProgress: run.progress,
    surgeryRunLog: run.log,
    surgeryRunFinished: run.finished,
    surgeryRunFailed: run.failed,
    surgeryRunCancelling: run.cancelling,
  };
};
