/**
 * mergekit-layershuffle: a passthrough frankenmerge whose layers are drawn at random from
 * several models (mergekit/scripts/layershuffle.py).
 *
 * - By default, output layer i is layer i of one model, drawn with probability proportional to
 *   its weight; runs of layers from the same model become one slice. The output has as many
 *   layers as the first model.
 * - `fullRandom`: model m contributes floor(layers_m × weight_m) layers, each a layer drawn
 *   from all of its layers (repeats allowed), and the slices are then shuffled. mergekit draws
 *   them from the first floor(layers_m × weight_m) layers only, which its option's help ("randomize
 *   layer index as well as source model") does not describe; see docs/differences.md.
 * - Weights default to equal (mergekit requires one per model and fails without them).
 */
import type { InputSlice, OutputSlice, Recipe } from '../plan/recipe.ts';
import { GeneratorError } from './errors.ts';
import { sequence, shuffle, weightedIndex } from './random.ts';

export interface ShuffleModel {
  readonly id: string;
  readonly layers: number;
}

export interface LayerShuffleOptions {
  readonly models: readonly ShuffleModel[];
  /** One per model; default equal. In fullRandom mode, the fraction of its layers each gives. */
  readonly weights?: readonly number[] | undefined;
  readonly seed: number;
  readonly fullRandom?: boolean;
  /** mergekit's --fp16: dtype float16 (else the models' own). */
  readonly fp16?: boolean;
}

function checkedWeights(o: LayerShuffleOptions): number[] {
  const n = o.models.length;
  if (n === 0) throw new GeneratorError('give at least one model (--model)');
  const weights =
    o.weights && o.weights.length > 0 ? [...o.weights] : new Array<number>(n).fill(o.fullRandom ? 1 / n : 1);
  if (weights.length !== n) {
    throw new GeneratorError(
      `${weights.length} weights for ${n} models: give one --weight per --model, or none`,
    );
  }
  for (const [i, w] of weights.entries()) {
    if (!Number.isFinite(w) || w < 0) {
      throw new GeneratorError(`the weight of ${o.models[i]!.id} is ${w}: weights must be 0 or more`);
    }
  }
  if (!weights.some((w) => w > 0)) throw new GeneratorError('every weight is 0: no model can be drawn');
  return weights;
}

const one = (model: string, layer: number): OutputSlice => ({
  sources: [{ model, layer_range: [layer, layer + 1] }],
});

/** Output layer i from layer i of a drawn model, runs of one model joined into a slice. */
function layerwise(models: readonly ShuffleModel[], weights: readonly number[], seed: number): OutputSlice[] {
  const seq = sequence(seed);
  const total = models[0]!.layers;
  const slices: { model: string; start: number; end: number }[] = [];
  for (let layer = 0; layer < total; layer++) {
    const m = models[weightedIndex(seq, weights)]!;
    if (layer >= m.layers) {
      throw new GeneratorError(
        `${m.id} has ${m.layers} layers, fewer than the first model's ${total}: output layer ${layer} cannot come from it (use --full-random, or give it weight 0)`,
      );
    }
    const last = slices.at(-1);
    if (last?.model === m.id) last.end = layer + 1;
    else slices.push({ model: m.id, start: layer, end: layer + 1 });
  }
  return slices.map((s) => ({
    sources: [{ model: s.model, layer_range: [s.start, s.end] } satisfies InputSlice],
  }));
}

function fullyRandom(
  models: readonly ShuffleModel[],
  weights: readonly number[],
  seed: number,
): OutputSlice[] {
  const seq = sequence(seed);
  const slices: OutputSlice[] = [];
  for (const [i, m] of models.entries()) {
    const count = Math.floor(m.layers * weights[i]!);
    for (let k = 0; k < count; k++) slices.push(one(m.id, seq.below(m.layers)));
  }
  if (slices.length === 0)
    throw new GeneratorError(
      "the weights take no layer from any model: raise them (a weight is a fraction of that model's layers)",
    );
  return shuffle(seq, slices);
}

export function layerShuffleRecipe(o: LayerShuffleOptions): Recipe {
  const weights = checkedWeights(o);
  for (const m of o.models) {
    if (!Number.isInteger(m.layers) || m.layers < 1)
      throw new GeneratorError(`${m.id} has no layers to shuffle`);
  }
  const slices = o.fullRandom ? fullyRandom(o.models, weights, o.seed) : layerwise(o.models, weights, o.seed);
  return { merge_method: 'passthrough', slices, ...(o.fp16 && { dtype: 'float16' as const }) };
}
