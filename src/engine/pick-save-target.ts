/**
 * chooseSaveTarget from a Merge, Build or Extract click: undefined when the user closed the
 * picker (nothing to report), anything else thrown. (A module of its own, so that tests that
 * replace ./save-target.ts replace what this calls.)
 */
import type { SaveTarget } from '../../workers/runtime/requests.ts';
import { chooseSaveTarget, SaveCancelled } from './save-target.ts';

export async function pickSaveTarget(outputName: string): Promise<SaveTarget | undefined> {
  try {
    return await chooseSaveTarget(outputName);
  } catch (e) {
    if (e instanceof SaveCancelled) return undefined;
    throw e;
  }
}
