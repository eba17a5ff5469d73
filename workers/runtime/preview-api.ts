/**
 * The preview worker's API: judging a merge before saving it. Per-layer analysis from range
 * reads, losses of models and of the recipe's merge (merged in memory), parameter sweeps,
 * greedy soups and text generation, all on the engine's own code (workers/analysis,
 * workers/eval). The page wraps it with comlink; its type is derived from this object
 * (`typeof previewApi`), so the two sides cannot drift. Every long call takes an AbortSignal
 * and reports progress through callbacks; results are summaries (numbers, names, recipes),
 * never tensors. Models are found as the merge worker finds them (resolve-sources.ts).
 */
import { analyzeRecipe } from '../analysis/analyze.ts';
import type { AnalysisProgress, AnalysisResult } from '../analysis/types.ts';
import { runMerge } from '../engine/run-merge.ts';
import { EvalInputError } from '../eval/errors.ts';
import { loadEvalModel, meanLoss } from '../eval/evaluate.ts';
import { createGenerator, generateText, type Sampling } from '../eval/generate.ts';
import { Decoder } from '../eval/model/decoder.ts';
import { weightsFromFiles } from '../eval/model/weights.ts';
import { EvalSession, type RawText } from '../eval/sweep/eval-session.ts';
import { greedySoup, type GreedySoupResult, type SoupStep } from '../eval/sweep/greedy-soup.ts';
import { loadInMemory } from '../eval/sweep/in-memory-models.ts';
import type { SweepAxes } from '../eval/sweep/sweep-points.ts';
import {
  runSweep,
  scoresOf,
  SWEEP_WINDOWS,
  type ModelScore,
  type SweepPoint,
  type SweepProgress,
  type SweepResult,
} from '../eval/sweep/sweep.ts';
import { loadTokenizer } from '../eval/text/tokenizer.ts';
import { blobModelSource, memorySink } from '../io/memory.ts';
import type { ModelResolver } from '../io/source.ts';
import { referencedModels, type TorchDType } from '../plan/recipe.ts';
import { loadRecipe } from '../plan/recipe-yaml.ts';
import type { ModelSources } from './requests.ts';
import { resolveSources } from './resolve-sources.ts';

export type { AnalysisProgress, AnalysisResult, GreedySoupResult, ModelScore, RawText, Sampling, SoupStep };
export type { SweepAxes, SweepPoint, SweepProgress, SweepResult };

/** Windows per text: a number (spread over the text) or every window. */
export type WindowChoice = number | 'all';

interface WithSources {
  readonly sources: ModelSources;
  /** Limit of the in-memory estimate for merges and evaluations (default 2 GB). */
  readonly maxBytes?: number;
}

export interface AnalyzeRequest {
  readonly recipeText: string;
  readonly sources: ModelSources;
  /** Tensor bytes to read at most, all models together (default 256 MB; see analysis/layer-sample.ts). */
  readonly maxBytes?: number;
  /** Layers sampled when all are over budget (default 8). */
  readonly maxLayers?: number;
  /** TIES density where the recipe sets none (default 0.5). */
  readonly density?: number;
}

export interface EvaluateRequest extends WithSources {
  readonly texts: readonly RawText[];
  /** Models evaluated on their own. */
  readonly models: readonly string[];
  /** Also the merge of this recipe (merged in memory). */
  readonly recipeText?: string;
  readonly windows?: WindowChoice;
}

export interface EvalRow {
  /** The model's id, or "merge" for the recipe's merge. */
  readonly label: string;
  readonly kind: 'model' | 'merge';
  readonly scores: ModelScore['scores'];
  readonly mean: number;
}

export interface EvaluateResult {
  readonly rows: readonly EvalRow[];
  readonly estimatedBytes: number;
  readonly elapsedMs: number;
}

export interface SweepRequest extends WithSources {
  readonly recipeText: string;
  readonly axes: SweepAxes;
  readonly texts: readonly RawText[];
  readonly windows?: WindowChoice;
  /** Also each model of the recipe on its own (default true). */
  readonly baselines?: boolean;
}

export interface SoupRequest extends WithSources {
  readonly models: readonly string[];
  readonly texts: readonly RawText[];
  readonly windows?: WindowChoice;
  readonly dtype?: TorchDType;
}

export interface GenerateRequest extends WithSources {
  /** Generate from the merge of this recipe... */
  readonly recipeText?: string;
  /** ...or from this model. */
  readonly model?: string;
  readonly prompt: string;
  readonly maxNewTokens: number;
  readonly sampling: Sampling;
}

export interface GenerateResult {
  readonly text: string;
  readonly tokens: number;
  readonly stop: 'eos' | 'length' | 'context';
  /** Time to load (and merge) the model, then to generate. */
  readonly loadMs: number;
  readonly generateMs: number;
}

/** Progress of a call: a phase and a count. */
export interface PreviewProgress {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
}

export interface ProgressCallbacks {
  onProgress(p: PreviewProgress): void;
}

const windowsOf = (w: WindowChoice | undefined): number | undefined =>
  w === 'all' ? undefined : (w ?? SWEEP_WINDOWS);

function resolverOf(sources: ModelSources): ModelResolver {
  return resolveSources(sources, () => undefined).resolve;
}

/** A model in memory, or the recipe's merge of models in memory (after the size guard). */
async function loadForGeneration(r: GenerateRequest, signal?: AbortSignal) {
  const resolve = resolverOf(r.sources);
  const recipe = r.recipeText === undefined ? undefined : loadRecipe(r.recipeText).recipe;
  const ids = recipe ? referencedModels(recipe) : r.model !== undefined ? [r.model] : [];
  if (ids.length === 0) throw new EvalInputError('choose a model or a recipe to generate from');
  const opts = { ...(r.maxBytes !== undefined && { maxBytes: r.maxBytes }), ...(signal && { signal }) };
  const models = await loadInMemory(ids, resolve, opts);
  if (!recipe) return loadEvalModel(await models.resolve(ids[0]!), signal);
  const sink = memorySink('preview');
  await runMerge({ recipe, resolve: models.resolve, sink, outputName: 'preview', ...(signal && { signal }) });
  return {
    weights: weightsFromFiles('merge', sink.files),
    tokenizer: await loadTokenizer(blobModelSource('merge', sink.files), signal),
  };
}

export const previewApi = {
  /** Per-layer analysis of the recipe's models from range reads (a sample of a big model). */
  analyze(
    r: AnalyzeRequest,
    callbacks: { onProgress(p: AnalysisProgress): void },
    signal?: AbortSignal,
  ): Promise<AnalysisResult> {
    return analyzeRecipe(loadRecipe(r.recipeText).recipe, resolverOf(r.sources), {
      ...(r.maxBytes !== undefined && { maxBytes: r.maxBytes }),
      ...(r.maxLayers !== undefined && { maxLayers: r.maxLayers }),
      ...(r.density !== undefined && { density: r.density }),
      ...(signal && { signal }),
      onProgress: (p) => callbacks.onProgress(p),
    });
  },

  /** Losses of models on their own and of the recipe's merge, on the same windows of the same texts. */
  async evaluate(
    r: EvaluateRequest,
    callbacks: ProgressCallbacks,
    signal?: AbortSignal,
  ): Promise<EvaluateResult> {
    const started = Date.now();
    const recipe = r.recipeText === undefined ? undefined : loadRecipe(r.recipeText).recipe;
    const ids = [...new Set([...r.models, ...(recipe ? referencedModels(recipe) : [])])];
    if (ids.length === 0) throw new EvalInputError('choose at least one model to evaluate');
    const windows = windowsOf(r.windows);
    const total = r.models.length + (recipe ? 1 : 0);
    callbacks.onProgress({ phase: 'loading', done: 0, total });
    const session = await EvalSession.open(ids, resolverOf(r.sources), r.texts, {
      ...(windows !== undefined && { windows }),
      ...(r.maxBytes !== undefined && { maxBytes: r.maxBytes }),
      ...(signal && { signal }),
    });
    const rows: EvalRow[] = [];
    const push = (label: string, kind: EvalRow['kind'], scores: EvalRow['scores']): void => {
      rows.push({ label, kind, scores, mean: meanLoss(scores) });
      callbacks.onProgress({ phase: 'evaluating', done: rows.length, total });
    };
    for (const id of r.models) push(id, 'model', scoresOf(await session.evaluateModel(id)));
    if (recipe) push('merge', 'merge', scoresOf(await session.evaluateRecipe(recipe)));
    return { rows, estimatedBytes: session.estimatedBytes, elapsedMs: Date.now() - started };
  },

  /** A sweep of one or two parameters of the recipe; each point reported as soon as it is known. */
  sweep(
    r: SweepRequest,
    callbacks: { onProgress(p: SweepProgress): void; onPoint(p: SweepPoint): void },
    signal?: AbortSignal,
  ): Promise<SweepResult> {
    return runSweep({
      recipe: loadRecipe(r.recipeText).recipe,
      axes: r.axes,
      texts: r.texts,
      resolve: resolverOf(r.sources),
      windows: r.windows ?? SWEEP_WINDOWS,
      baselines: r.baselines ?? true,
      ...(r.maxBytes !== undefined && { maxBytes: r.maxBytes }),
      ...(signal && { signal }),
      onProgress: (p) => callbacks.onProgress(p),
      onPoint: (p) => callbacks.onPoint(p),
    });
  },

  /** Greedy soup of `models`: ranked alone, each kept only if the uniform soup improves. */
  soup(
    r: SoupRequest,
    callbacks: { onStep(s: SoupStep): void },
    signal?: AbortSignal,
  ): Promise<GreedySoupResult> {
    return greedySoup({
      models: r.models,
      texts: r.texts,
      resolve: resolverOf(r.sources),
      windows: r.windows ?? SWEEP_WINDOWS,
      ...(r.dtype && { dtype: r.dtype }),
      ...(r.maxBytes !== undefined && { maxBytes: r.maxBytes }),
      ...(signal && { signal }),
      onStep: (s) => callbacks.onStep(s),
    });
  },

  /** Text from a model or from the recipe's merge, without saving anything; streamed as it grows. */
  async generate(
    r: GenerateRequest,
    callbacks: { onText(textSoFar: string): void },
    signal?: AbortSignal,
  ): Promise<GenerateResult> {
    const t0 = Date.now();
    const { weights, tokenizer } = await loadForGeneration(r, signal);
    const t1 = Date.now();
    const ids: number[] = [];
    const g = await generateText(createGenerator(weights), tokenizer, weights.config, r.prompt, {
      maxNewTokens: r.maxNewTokens,
      sampling: r.sampling,
      ...(signal && { signal }),
      onToken: (id) => {
        ids.push(id);
        callbacks.onText(tokenizer.decode(ids));
      },
    });
    return { text: g.text, tokens: g.ids.length, stop: g.stop, loadMs: t1 - t0, generateMs: Date.now() - t1 };
  },

  /** The logits at the last position of `inputIds` (a parity check against reference logits). */
  async lastLogits(
    r: { sources: ModelSources; model: string; inputIds: readonly number[] },
    signal?: AbortSignal,
  ) {
    const { weights } = await loadEvalModel(await resolverOf(r.sources)(r.model, signal), signal);
    const n = r.inputIds.length;
    const d = Decoder.create(weights, { maxRows: n, context: n });
    const hidden = d.forward(r.inputIds, 1, n);
    return {
      logits: Array.from(d.logits(hidden.subarray((n - 1) * d.config.hidden), 1)),
      kernel: d.matmul.kind,
    };
  },
};

export type PreviewApi = typeof previewApi;
