/**
 * Where each output layer sits on a gradient, as the planner computes it (build-plan.ts): every
 * output slice spreads the anchors over its own layers, t = k / (n - 1) for its k-th of n layers
 * (t = 1 for a one-layer slice), and a models: recipe is one slice over all the layers. So a
 * top-level gradient in a slices recipe starts again in each slice. Embeddings, the final norm
 * and the head sit at t = 0.
 */
import type { Recipe } from '../../../workers/plan/recipe.ts';
import { curveValue, type CurveSet } from './curve-model.ts';

/** Shown when no model's layer count is known yet: the depth of a 7B Llama or Mistral. */
export const DEFAULT_LAYERS = 32;

export interface LayerPosition {
  /** Output layer index. */
  readonly layer: number;
  /** Position on the gradient, 0..1. */
  readonly t: number;
  /** Which output slice it comes from (0 for a models: recipe). */
  readonly slice: number;
}

function sliceLength(range: readonly [number, number] | undefined): number {
  return range ? Math.max(0, range[1] - range[0]) : 0;
}

/** Output layers of the recipe; `modelLayers` is the layer count of a models: recipe. */
export function layerPositions(recipe: Recipe, modelLayers: number): LayerPosition[] {
  const lengths = recipe.slices
    ? recipe.slices.map((s) => sliceLength(s.sources[0]?.layer_range))
    : [modelLayers];
  const out: LayerPosition[] = [];
  lengths.forEach((n, slice) => {
    for (let k = 0; k < n; k++) out.push({ layer: out.length, t: n > 1 ? k / (n - 1) : 1, slice });
  });
  return out;
}

/** Each curve's value at each output layer: rows[layer][curve]. */
export function valuesPerLayer(curves: CurveSet, positions: readonly LayerPosition[]): number[][] {
  return positions.map((p) => curves.map((c) => curveValue(c, p.t)));
}

/** A value for a table cell: at most 4 significant digits, no trailing float noise. */
export function formatValue(v: number | boolean | undefined): string {
  if (v === undefined) return '–';
  if (typeof v === 'boolean') return String(v);
  return String(Number(v.toPrecision(4)));
}
