/**
 * What the DARE / DELLA view shows, from the engine's sparsifier: one task vector (toy, or a
 * real model minus the base over the rows read) dropped and rescaled with the merge's seed and
 * stream, counted and binned; then, on a smaller sample (the toy, or the patch's rows), the
 * mean over many seeds and the keep rate by magnitude rank.
 */
import { useMemo } from 'react';
import { sub } from '../../../../workers/methods/shared/vec.ts';
import type { DataMode } from '../common/Controls.tsx';
import type { TaskVectorSource } from '../common/use-task-vectors.ts';
import {
  dropAndRescale,
  dropStats,
  keepRateByRank,
  meanOverSeeds,
  sharedHistogram,
  type DropKind,
  type DropSettings,
  type DropStats,
  type SharedBin,
} from '../dare-steps.ts';
import { PATCH } from '../tensor-region.ts';
import { TOY_DARE_SHAPE, toyDareDelta } from '../toy-data.ts';

/** Entries of the sample the per-seed charts use (a PATCH x PATCH patch's worth for the toy). */
const SAMPLE_POINTS = PATCH * PATCH;
/** Element draws the seed-averaged charts may make: fewer seeds for long rows. */
const SEED_BUDGET = 2e6;
const MAX_SEEDS = 200;
const MIN_SEEDS = 20;

export interface DropView {
  readonly stats: DropStats;
  readonly bins: readonly SharedBin[];
  /** Sample entries: original, one draw, and the mean over `seeds` seeds. */
  readonly sample: {
    readonly before: Float32Array;
    readonly once: Float32Array;
    readonly mean: Float64Array;
  };
  readonly seeds: number;
  readonly keepRates: Float64Array;
  readonly tensorName: string;
  readonly modelIndex: number;
  readonly whole: boolean;
}

export interface DropOptions {
  readonly kind: DropKind;
  readonly density: number;
  readonly epsilon: number;
  readonly rescale: boolean;
  readonly seed: number;
}

interface Source {
  readonly delta: Float32Array;
  readonly shape: readonly number[];
  /** Rows of the delta the per-seed charts use. */
  readonly sampleRows: { readonly start: number; readonly count: number };
  readonly tensorName: string;
  readonly modelIndex: number;
  readonly whole: boolean;
}

const TOY_DELTA = toyDareDelta();

export function useDropData(
  mode: DataMode,
  src: TaskVectorSource,
  model: string | undefined,
  o: DropOptions,
) {
  const { regions, modelIds, patch, tensor } = src;
  const source = useMemo((): Source | undefined => {
    if (mode === 'toy') {
      return {
        delta: TOY_DELTA,
        shape: TOY_DARE_SHAPE,
        sampleRows: { start: 0, count: TOY_DARE_SHAPE[0]! },
        tensorName: 'toy',
        modelIndex: 0,
        whole: true,
      };
    }
    const k = model === undefined ? -1 : modelIds.indexOf(model);
    const base = regions?.[0];
    const mine = regions?.[k + 1];
    if (!base || !mine || k < 0 || !tensor) return undefined;
    const start = Math.max(0, Math.min(patch.row - base.rowStart, base.rows - PATCH));
    return {
      delta: sub(mine.values, base.values),
      shape: [base.rows, base.cols],
      sampleRows: { start, count: Math.min(PATCH, base.rows) },
      tensorName: tensor,
      modelIndex: k,
      whole: base.whole,
    };
  }, [mode, regions, modelIds, model, patch.row, tensor]);

  return useMemo((): DropView | undefined => {
    if (!source) return undefined;
    const settings: DropSettings = {
      ...o,
      tensorName: source.tensorName,
      modelIndex: source.modelIndex,
      shape: source.shape,
    };
    const after = dropAndRescale(source.delta, settings);
    const cols = source.shape[source.shape.length - 1]!;
    const { start, count } = source.sampleRows;
    const rows = source.delta.subarray(start * cols, (start + count) * cols);
    const rowSettings = { ...settings, shape: [count, cols] };
    const seeds = Math.max(MIN_SEEDS, Math.min(MAX_SEEDS, Math.floor(SEED_BUDGET / rows.length)));
    const pick = Math.max(1, Math.floor(rows.length / SAMPLE_POINTS));
    const every = <T extends Float32Array | Float64Array>(a: T): T => a.filter((_, i) => i % pick === 0) as T;
    return {
      stats: dropStats(source.delta, after),
      bins: sharedHistogram(source.delta, after),
      sample: {
        before: every(rows),
        once: every(dropAndRescale(rows, rowSettings)),
        mean: every(meanOverSeeds(rows, rowSettings, seeds)),
      },
      seeds,
      keepRates: keepRateByRank(rows, rowSettings, seeds),
      tensorName: source.tensorName,
      modelIndex: source.modelIndex,
      whole: source.whole,
    };
  }, [source, o]);
}
