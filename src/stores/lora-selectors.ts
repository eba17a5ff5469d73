/**
 * Narrow, pure selectors of the Extract LoRA tool (memoised where they build new values): the
 * settings as text (link, Recent recipes), their problems, the options a request sends, the
 * models read, and why Extract cannot start.
 */
import type { LoraExtractOptions } from '../../workers/runtime/requests.ts';
import {
  defaultLoraOutputName,
  loraConfigToText,
  loraModelIds,
  loraOptions,
  loraProblems,
  type LoraConfig,
  type LoraProblem,
} from './lora-edits.ts';
import { memo } from './memo.ts';
import type { StudioState } from './store.ts';

const textOf = memo(loraConfigToText);
/** The settings as text: what the page's link and Recent recipes keep. */
export const selectLoraText = (s: StudioState): string => textOf(s.lora);

const problemsOf = memo(loraProblems);
/** What must be fixed before Extract (and before the preview asks the worker). */
export const selectLoraProblems = (s: StudioState): readonly LoraProblem[] => problemsOf(s.lora);

const optionsOf = memo(loraOptions);
export const selectLoraOptions = (s: StudioState): LoraExtractOptions => optionsOf(s.lora);

const idsOf = memo((c: LoraConfig): readonly string[] => loraModelIds(c));
/** The models the extraction reads: the fine-tuned model, then the base. */
export const selectLoraModelIds = (s: StudioState): readonly string[] => idsOf(s.lora);

/** The output folder's name: as typed, else the default. */
export const selectLoraOutputName = (s: StudioState): string =>
  s.loraOutputName.trim() || defaultLoraOutputName(s.lora);

/** Why a tool reading these models cannot start: local folders lost in a reload (each part of `base+adapter` counts). */
export function lostFoldersBlock(s: StudioState, ids: readonly string[]): string | undefined {
  const parts = [...new Set(ids.flatMap((id) => id.split('+')))];
  const lost = parts.filter((id) => s.lostLocalFolders.includes(id) && !Object.hasOwn(s.localFolders, id));
  return lost.length === 0
    ? undefined
    : `Open the folder of ${lost.join(', ')} again first: a local folder's files are not kept across a reload.`;
}

/** Why Extract cannot start beyond the problems: local folders lost in a reload. */
export const selectLoraFoldersBlock = (s: StudioState): string | undefined =>
  lostFoldersBlock(s, selectLoraModelIds(s));
