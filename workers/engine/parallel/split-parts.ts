/**
 * Where a tensor merged in parts is cut: parts in proportion to each lane's weight, on
 * multiples of PART_ALIGN (and of whole rows where the sparsifier cuts by row).
 */
import type { FamilyPart } from '../../methods/shared/family-stream.ts';

/** Parts start on multiples of this (any multiple of 4 splits exactly; this keeps parts tidy). */
const PART_ALIGN = 4096;

/**
 * [0, n) in parts in proportion to `weights`, starting on multiples of `align` (PART_ALIGN, or
 * a multiple of it that is whole rows); parts that come out empty (a tensor of few blocks) are
 * left out, each part names its weight's index.
 */
export function splitWeighted(
  n: number,
  weights: readonly number[],
  align = PART_ALIGN,
): { part: FamilyPart; owner: number }[] {
  const blocks = Math.ceil(n / align);
  const total = weights.reduce((a, b) => a + b, 0);
  const parts: { part: FamilyPart; owner: number }[] = [];
  let lo = 0;
  let before = 0;
  weights.forEach((w, owner) => {
    before += w;
    const last = owner === weights.length - 1;
    const hi = last ? n : Math.min(n, Math.round((before / total) * blocks) * align);
    if (hi > lo) parts.push({ part: { lo, hi }, owner });
    lo = Math.max(lo, hi);
  });
  return parts;
}

/** The least common multiple of two positive integers. */
function lcm(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y !== 0) [x, y] = [y, x % y];
  return (a / x) * b;
}

/** Where parts may start: multiples of PART_ALIGN that are whole rows of `rowAlign` elements. */
export function partAlign(rowAlign: number): number {
  return lcm(PART_ALIGN, rowAlign);
}
