/** Placement helpers for the sweep chart (pure, tested). */

/** Pixels between two baseline labels: one line of 11 px text. */
const LABEL_GAP = 12;

/** Label positions near `ys` but at least LABEL_GAP apart (models whose losses are close). */
export function spreadLabels(ys: readonly number[]): number[] {
  const order = ys.map((y, i) => ({ y, i })).sort((a, b) => a.y - b.y);
  const out = new Array<number>(ys.length);
  let last = -Infinity;
  for (const { y, i } of order) {
    last = Math.max(y, last + LABEL_GAP);
    out[i] = last;
  }
  return out;
}
