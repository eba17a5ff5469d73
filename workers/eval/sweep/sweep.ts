/**
 * Parameter sweeps: merge the recipe at every point of a line or a grid, in memory, evaluate
 * each merge on the texts, and report every point and the best (lowest mean loss over the
 * texts, each text weighted equally). Optionally the input models on their own too, the
 * baselines a merge has to beat.
 *
 * By default a sweep evaluates the first SWEEP_WINDOWS windows of each text, not all: the
 * acceptance budget is an 11-point sweep on two texts in 10 s in a browser, and the prefix
 * ranks points as the full texts do (docs/eval.md has the measurements). `windows: 'all'`
 * evaluates everything.
 */
import type { ModelResolver } from '../../io/source.ts';
import type { Recipe } from '../../plan/recipe.ts';
import { referencedModels } from '../../plan/recipe.ts';
import { throwIfAborted } from '../errors.ts';
import { meanLoss, type TextEvalResult } from '../evaluate.ts';
import type { WindowPick } from '../loss.ts';
import { EvalSession, type RawText } from './eval-session.ts';
import { sweepPoints, type SweepAxes } from './sweep-points.ts';

/** Windows of 128 tokens per text in a sweep, unless told otherwise (see docs/eval.md). */
export const SWEEP_WINDOWS = 24;

export interface SweepOptions {
  readonly recipe: Recipe;
  readonly axes: SweepAxes;
  readonly texts: readonly RawText[];
  readonly resolve: ModelResolver;
  /** Windows per text: a number, or 'all' (default SWEEP_WINDOWS). */
  readonly windows?: number | 'all';
  /** Which windows when not all: evenly spread over each text (default) or the first. */
  readonly pick?: WindowPick;
  /** Also evaluate each model of the recipe on its own. */
  readonly baselines?: boolean;
  /** Limit of the in-memory estimate, in bytes. */
  readonly maxBytes?: number;
  readonly seed?: number;
  readonly backend?: 'auto' | 'js';
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: SweepProgress) => void;
  /** Each point's result as soon as it is known (for a chart that fills in). */
  readonly onPoint?: (p: SweepPoint) => void;
}

export interface SweepProgress {
  readonly phase: 'loading' | 'baselines' | 'points' | 'done';
  readonly pointsDone: number;
  readonly pointsTotal: number;
  readonly elapsedMs: number;
}

export interface TextScore {
  readonly text: string;
  readonly loss: number;
  readonly windows: number;
  readonly availableWindows: number;
}

export interface SweepPoint {
  /** Index of the value on each axis. */
  readonly index: readonly number[];
  readonly values: readonly number[];
  readonly scores: readonly TextScore[];
  /** Mean of the texts' losses: the number points are ranked by. */
  readonly mean: number;
  readonly elapsedMs: number;
}

export interface ModelScore {
  readonly model: string;
  readonly scores: readonly TextScore[];
  readonly mean: number;
}

export interface SweepResult {
  readonly points: readonly SweepPoint[];
  readonly best: SweepPoint;
  /** The recipe at the best point. */
  readonly bestRecipe: Recipe;
  readonly baselines: readonly ModelScore[];
  readonly elapsedMs: number;
}

export function scoresOf(results: readonly TextEvalResult[]): TextScore[] {
  return results.map((r) => ({
    text: r.name,
    loss: r.loss,
    windows: r.windows,
    availableWindows: r.available,
  }));
}

export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  const started = Date.now();
  const specs = sweepPoints(o.recipe, o.axes);
  const progress = (phase: SweepProgress['phase'], pointsDone: number): void =>
    o.onProgress?.({ phase, pointsDone, pointsTotal: specs.length, elapsedMs: Date.now() - started });
  progress('loading', 0);
  const ids = referencedModels(o.recipe);
  const windows = o.windows === 'all' ? undefined : (o.windows ?? SWEEP_WINDOWS);
  const session = await EvalSession.open(ids, o.resolve, o.texts, {
    ...(windows !== undefined && { windows }),
    ...(o.pick && { pick: o.pick }),
    ...(o.maxBytes !== undefined && { maxBytes: o.maxBytes }),
    ...(o.seed !== undefined && { seed: o.seed }),
    ...(o.backend && { backend: o.backend }),
    ...(o.signal && { signal: o.signal }),
  });
  const baselines: ModelScore[] = [];
  if (o.baselines) {
    progress('baselines', 0);
    for (const id of ids) {
      throwIfAborted(o.signal);
      const scores = scoresOf(await session.evaluateModel(id));
      baselines.push({ model: id, scores, mean: meanLoss(scores) });
    }
  }
  const points: SweepPoint[] = [];
  for (const spec of specs) {
    throwIfAborted(o.signal);
    progress('points', points.length);
    const t0 = Date.now();
    const scores = scoresOf(await session.evaluateRecipe(spec.recipe));
    const point = {
      index: spec.index,
      values: spec.values,
      scores,
      mean: meanLoss(scores),
      elapsedMs: Date.now() - t0,
    };
    points.push(point);
    o.onPoint?.(point);
  }
  progress('done', points.length);
  const best = points.reduce((a, b) => (b.mean < a.mean ? b : a));
  return {
    points,
    best,
    bestRecipe: specs[points.indexOf(best)]!.recipe,
    baselines,
    elapsedMs: Date.now() - started,
  };
}
