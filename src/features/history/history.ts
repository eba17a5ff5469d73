/** The last 20 recipes (YAML), kept in localStorage. Recipes hold no secrets: never a token. */

const KEY = 'merge-studio-history';
const MAX = 20;

export interface HistoryEntry {
  readonly yaml: string;
  readonly savedAt: number;
}

export function readHistory(): HistoryEntry[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as HistoryEntry[]).filter((e) => typeof e?.yaml === 'string') : [];
  } catch {
    return [];
  }
}

export function pushHistory(yaml: string): void {
  const entries = readHistory().filter((e) => e.yaml !== yaml);
  entries.unshift({ yaml, savedAt: Date.now() });
  try {
    localStorage.setItem(KEY, JSON.stringify(entries.slice(0, MAX)));
  } catch {
    // Storage full or disabled: history is a convenience.
  }
}
