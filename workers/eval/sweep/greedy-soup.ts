/**
 * Greedy soup (Wortsman et al., https://arxiv.org/abs/2203.05482): rank the models by their own
 * score (mean loss over the texts, lower is better), start the soup with the best, then try
 * each next model in rank order and keep it only if the uniform average of the soup with it
 * scores better than the soup without. The soup is a linear merge with equal weights.
 */
import type { ModelResolver } from '../../io/source.ts';
import type { Recipe, TorchDType } from '../../plan/recipe.ts';
import { EvalInputError, throwIfAborted } from '../errors.ts';
import { meanLoss } from '../evaluate.ts';
import type { WindowPick } from '../loss.ts';
import { EvalSession, type RawText } from './eval-session.ts';
import { scoresOf, SWEEP_WINDOWS, type ModelScore } from './sweep.ts';

export interface GreedySoupOptions {
  /** Candidate models (fine-tunes of one base, same architecture and vocabulary). */
  readonly models: readonly string[];
  readonly texts: readonly RawText[];
  readonly resolve: ModelResolver;
  /** Windows per text: a number, or 'all' (default SWEEP_WINDOWS, spread over each text). */
  readonly windows?: number | 'all';
  readonly pick?: WindowPick;
  /** dtype of the soup's recipe (default: the models' own). */
  readonly dtype?: TorchDType;
  readonly maxBytes?: number;
  readonly backend?: 'auto' | 'js';
  readonly signal?: AbortSignal;
  readonly onStep?: (step: SoupStep) => void;
}

export interface SoupStep {
  readonly model: string;
  /** The soup's mean loss with this model added (for the first model: the model alone). */
  readonly mean: number;
  readonly kept: boolean;
  /** The soup after this step. */
  readonly soup: readonly string[];
}

export interface GreedySoupResult {
  /** The models on their own, best first. */
  readonly ranking: readonly ModelScore[];
  readonly steps: readonly SoupStep[];
  readonly soup: readonly string[];
  readonly mean: number;
  readonly recipe: Recipe;
}

/** A uniform linear merge of `models`. */
export function soupRecipe(models: readonly string[], dtype?: TorchDType): Recipe {
  return {
    merge_method: 'linear',
    models: models.map((model) => ({ model, parameters: { weight: 1 } })),
    ...(dtype && { dtype }),
  };
}

export async function greedySoup(o: GreedySoupOptions): Promise<GreedySoupResult> {
  if (o.models.length === 0) throw new EvalInputError('a greedy soup needs at least one model');
  if (new Set(o.models).size !== o.models.length)
    throw new EvalInputError('a model is listed twice for the soup');
  const windows = o.windows === 'all' ? undefined : (o.windows ?? SWEEP_WINDOWS);
  const session = await EvalSession.open(o.models, o.resolve, o.texts, {
    ...(windows !== undefined && { windows }),
    ...(o.pick && { pick: o.pick }),
    ...(o.maxBytes !== undefined && { maxBytes: o.maxBytes }),
    ...(o.backend && { backend: o.backend }),
    ...(o.signal && { signal: o.signal }),
  });
  const ranking: ModelScore[] = [];
  for (const model of o.models) {
    throwIfAborted(o.signal);
    const scores = scoresOf(await session.evaluateModel(model));
    ranking.push({ model, scores, mean: meanLoss(scores) });
  }
  ranking.sort((a, b) => a.mean - b.mean);
  const first = ranking[0]!;
  let soup = [first.model];
  let best = first.mean;
  const steps: SoupStep[] = [{ model: first.model, mean: best, kept: true, soup }];
  o.onStep?.(steps[0]!);
  for (const candidate of ranking.slice(1)) {
    throwIfAborted(o.signal);
    const trial = [...soup, candidate.model];
    const mean = meanLoss(await session.evaluateRecipe(soupRecipe(trial, o.dtype)));
    const kept = mean < best;
    if (kept) {
      soup = trial;
      best = mean;
    }
    const step = { model: candidate.model, mean, kept, soup };
    steps.push(step);
    o.onStep?.(step);
  }
  return { ranking, steps, soup, mean: best, recipe: soupRecipe(soup, o.dtype) };
}
