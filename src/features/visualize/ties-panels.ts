/**
 * Which grids each TIES step shows, from the steps the engine computed: the task vectors; the
 * trim (trimmed-away entries faded); the vote (outvoted entries faded, the elected sign below);
 * the disjoint mean beside the plain average. Pure, so the views only draw.
 */
import type { TiesSteps } from './ties-steps.ts';
import type { GridPanel } from './ties/StepGrid.tsx';

export const TIES_STEPS = ['Task vectors', 'Trim', 'Elect sign', 'Disjoint mean'] as const;

/** A crop of every array the panels use, so a real tensor shows its 16x16 patch. */
export type Crop = (values: ArrayLike<number>) => ArrayLike<number>;

export function tiesPanels(
  s: TiesSteps,
  names: readonly string[],
  step: number,
  rows: number,
  cols: number,
  crop: Crop,
): GridPanel[] {
  const grid = (
    label: string,
    values: ArrayLike<number>,
    faded?: ArrayLike<number>,
    signs?: boolean,
  ): GridPanel => ({
    label,
    values: crop(values),
    rows,
    cols,
    ...(faded && { faded: Uint8Array.from(crop(faded)) }),
    ...(signs && { signs }),
  });
  if (step === 0) return s.deltas.map((d, k) => grid(names[k]!, d));
  if (step === 1) {
    return s.deltas.map((d, k) =>
      grid(
        names[k]!,
        d,
        Uint8Array.from(s.trimmed[k]!, (x, i) => (x === 0 && d[i] !== 0 ? 1 : 0)),
      ),
    );
  }
  const voted = s.trimmed.map((t, k) =>
    grid(
      names[k]!,
      t,
      Uint8Array.from(t, (x, i) => (x !== 0 && !s.agrees[k]![i] ? 1 : 0)),
    ),
  );
  const elected = grid('elected sign', s.elected, undefined, true);
  if (step === 2) return [...voted, elected];
  return [...voted, elected, grid('TIES result', s.merged), grid('plain average', s.average)];
}

export interface TiesCounts {
  readonly kept: readonly number[];
  readonly total: number;
  /** Entries where some kept value disagrees with the elected sign. */
  readonly conflicts: number;
  readonly outvoted: number;
  readonly noVote: number;
}

export function tiesCounts(s: TiesSteps, crop: Crop): TiesCounts {
  const trimmed = s.trimmed.map((t) => crop(t));
  const agrees = s.agrees.map((a) => crop(a));
  const elected = crop(s.elected);
  let conflicts = 0;
  let outvoted = 0;
  let noVote = 0;
  for (let i = 0; i < elected.length; i++) {
    if (elected[i] === 0) noVote++;
    const out = trimmed.filter((t, k) => t[i] !== 0 && agrees[k]![i] === 0).length;
    outvoted += out;
    if (out > 0) conflicts++;
  }
  return {
    kept: trimmed.map((t) => Array.from(t).filter((x) => x !== 0).length),
    total: elected.length,
    conflicts,
    outvoted,
    noVote,
  };
}
