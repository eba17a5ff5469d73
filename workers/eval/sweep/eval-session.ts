/**
 * What the points of a sweep or the steps of a soup share: the input models in memory, the
 * texts tokenised once, and one evaluator whose buffers are reused from point to point (only
 * the weights are repacked). Per point the work is the merge itself and the forward passes.
 */
import { runMerge } from '../../engine/run-merge.ts';
import { loadModel } from '../../io/load-model.ts';
import { resolvesAdapters, withAdapters } from '../../io/lora/with-adapters.ts';
import { memorySink } from '../../io/memory.ts';
import type { ModelResolver } from '../../io/source.ts';
import type { Recipe } from '../../plan/recipe.ts';
import {
  createEvaluator,
  evaluateTexts,
  tokenizeTexts,
  type EvalText,
  type TextEvalResult,
} from '../evaluate.ts';
import type { WindowPick } from '../loss.ts';
import type { Decoder } from '../model/decoder.ts';
import { readModelWeights, weightsFromFiles, type ModelWeights } from '../model/weights.ts';
import { loadTokenizer } from '../text/tokenizer.ts';
import { loadInMemory, type InMemoryModels } from './in-memory-models.ts';

export interface RawText {
  readonly name: string;
  readonly text: string;
}

export interface SessionOptions {
  /** Evaluate only K windows of each text; undefined: all. */
  readonly windows?: number;
  /** Which K windows (default 'spread'). */
  readonly pick?: WindowPick;
  /** Limit of the in-memory estimate (see in-memory-models.ts). */
  readonly maxBytes?: number;
  /** Seed of random merge methods (DARE, DELLA). */
  readonly seed?: number;
  readonly backend?: 'auto' | 'js';
  readonly signal?: AbortSignal;
}

export class EvalSession {
  private decoder: Decoder | undefined;

  private constructor(
    private readonly models: InMemoryModels,
    readonly texts: readonly EvalText[],
    private readonly options: SessionOptions,
  ) {}

  /** Loads `ids` into memory and tokenises `texts` with the tokenizer of the first of them. */
  static async open(
    ids: readonly string[],
    resolve: ModelResolver,
    texts: readonly RawText[],
    options: SessionOptions = {},
  ): Promise<EvalSession> {
    // `base+adapter` ids are held adapted: the merges of the points then read them as they are.
    const models = await loadInMemory(ids, withAdapters(resolve), {
      ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
      ...(options.signal && { signal: options.signal }),
    });
    resolvesAdapters(models.resolve);
    const tokenizer = await loadTokenizer(await models.resolve(ids[0]!), options.signal);
    return new EvalSession(models, tokenizeTexts(tokenizer, texts), options);
  }

  get estimatedBytes(): number {
    return this.models.estimatedBytes;
  }

  /** One of the loaded models, as it is. */
  async evaluateModel(id: string): Promise<TextEvalResult[]> {
    const { signal } = this.options;
    const model = await loadModel(await this.models.resolve(id, signal), signal);
    return this.evaluateWeights(await readModelWeights(model, signal));
  }

  /** Merges `recipe` in memory (its models must be loaded) and evaluates the result. */
  async evaluateRecipe(recipe: Recipe): Promise<TextEvalResult[]> {
    return this.evaluateWeights(await this.merge(recipe));
  }

  async merge(recipe: Recipe): Promise<ModelWeights> {
    const sink = memorySink('sweep');
    await runMerge({
      recipe,
      resolve: this.models.resolve,
      sink,
      outputName: 'sweep point',
      ...(this.options.seed !== undefined && { seed: this.options.seed }),
      ...(this.options.signal && { signal: this.options.signal }),
    });
    return weightsFromFiles('merged model', sink.files);
  }

  async evaluateWeights(weights: ModelWeights): Promise<TextEvalResult[]> {
    if (this.decoder?.accepts(weights)) this.decoder.setWeights(weights);
    else
      this.decoder = createEvaluator(weights, this.options.backend ? { backend: this.options.backend } : {});
    return evaluateTexts(this.decoder, this.texts, {
      ...(this.options.windows !== undefined && { windows: this.options.windows }),
      pick: this.options.pick ?? 'spread',
      ...(this.options.signal && { signal: this.options.signal }),
    });
  }
}
