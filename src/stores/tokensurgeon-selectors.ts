/**
 * Narrow, pure selectors of the tokenizer transplant tool (memoised where they build new
 * values): the settings as text (link, Recent recipes), their problems, the options a request
 * sends, the models read, and why Transplant cannot start.
 */
import type { SurgeryOptions } from '../../workers/tokensurgeon/run-tokensurgeon.ts';
import { lostFoldersBlock } from './lora-selectors.ts';
import { memo } from './memo.ts';
import type { StudioState } from './store.ts';
import {
  defaultSurgeryOutputName,
  surgeryConfigToText,
  surgeryModelIds,
  surgeryOptions,
  surgeryProblems,
  type SurgeryConfig,
  type SurgeryProblem,
} from './tokensurgeon-edits.ts';

const textOf = memo(surgeryConfigToText);
/** The settings as text: what the page's link and Recent recipes keep. */
export const selectSurgeryText = (s: StudioState): string => textOf(s.surgery);

const problemsOf = memo(surgeryProblems);
/** What must be fixed before Transplant (and before the preview asks the worker). */
export const selectSurgeryProblems = (s: StudioState): readonly SurgeryProblem[] => problemsOf(s.surgery);

const optionsOf = memo(surgeryOptions);
export const selectSurgeryOptions = (s: StudioState): SurgeryOptions => optionsOf(s.surgery);

const idsOf = memo((c: SurgeryConfig): readonly string[] => surgeryModelIds(c));
/** The models the run reads: the model, then the donor. */
export const selectSurgeryModelIds = (s: StudioState): readonly string[] => idsOf(s.surgery);

/** The output folder's name: as typed, else the default. */
export const selectSurgeryOutputName = (s: StudioState): string =>
  s.surgeryOutputName.trim() || defaultSurgeryOutputName(s.surgery);

/** Why Transplant cannot start beyond the problems: local folders lost in a reload. */
export const selectSurgeryFoldersBlock = (s: StudioState): string | undefined =>
  lostFoldersBlock(s, selectSurgeryModelIds(s));
