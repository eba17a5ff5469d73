/**
 * Recipe problems: each names the YAML path (and line, when the recipe came from YAML) of what
 * is wrong and says how to fix it. mergekit ignores unknown keys and misspelled parameters;
 * we refuse them before any tensor is read.
 */

export type YamlPath = readonly (string | number)[];

export interface RecipeProblem {
  readonly path: YamlPath;
  readonly message: string;
  readonly severity: 'error' | 'warning';
  /** 1-based, when known. */
  readonly line?: number;
  readonly col?: number;
}

export function formatPath(path: YamlPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(root)';
}

export function formatProblem(p: RecipeProblem, file?: string): string {
  const where = [file, p.line, p.col].filter((x) => x !== undefined).join(':');
  return `${where ? `${where}: ` : ''}${p.severity === 'warning' ? 'warning: ' : ''}${formatPath(p.path)}: ${p.message}`;
}

export class RecipeError extends Error {
  override readonly name: string = 'RecipeError';
  constructor(
    readonly problems: readonly RecipeProblem[],
    file?: string,
  ) {
    super(
      problems
        .filter((p) => p.severity === 'error')
        .map((p) => formatProblem(p, file))
        .join('\n'),
    );
  }
}

/** The closest of `candidates` to `word`, if it is close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
