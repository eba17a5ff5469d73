/**
 * The last 20 recipes, kept in localStorage: merge recipes (mergekit YAML) and MoE configs
 * (mergekit-moe YAML), each with its kind. Entries written before MoE configs were kept have
 * no kind: they are merge recipes. Recipes hold no secrets: never a token. Shared by the
 * features that save recipes (run, moe) and the history menu.
 */

const KEY = 'merge-studio-history';
const MAX = 20;

/** Which tool a recipe is for: a merge or a mixture of experts. */
export type RecipeKind = 'merge' | 'moe';

export interface HistoryEntry {
  readonly yaml: string;
  readonly savedAt: number;
  /** Absent for a merge recipe (entries from before MoE configs were kept). */
  readonly kind?: 'moe';
}

export const kindOf = (e: HistoryEntry): RecipeKind => (e.kind === 'moe' ? 'moe' : 'merge');

export function readHistory(): HistoryEntry[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as HistoryEntry[]).filter((e) => typeof e?.yaml === 'string') : [];
  } catch {
    return [];
  }
}

export function pushHistory(yaml: string, kind: RecipeKind = 'merge'): void {
  const entries = readHistory().filter((e) => e.yaml !== yaml || kindOf(e) !== kind);
  entries.unshift({ yaml, savedAt: Date.now(), ...(kind === 'moe' && { kind }) });
  try {
    localStorage.setItem(KEY, JSON.stringify(entries.slice(0, MAX)));
  } catch {
    // Storage full or disabled: history is a convenience.
  }
}
