/**
 * Pure edits of a recipe's `merge_studio:` block (Merge Studio's own options, which mergekit's
 * YAML loader ignores), as the method settings' controls make them. Kept free of React and
 * zustand so they are tested as plain functions; recipe-edits.ts has the parameters' edits.
 */
import type { Recipe, StudioOptions } from '../../workers/plan/recipe.ts';

/** The options the studio's controls set (seed and the rest stay in the YAML). */
export type EditableStudioOption = 'consensus' | 'rescale_norm' | 'topk_scope' | 'weights';

type Weights = Readonly<Record<string, number>>;

/**
 * Sets `merge_studio.<key>`; undefined removes it, and the block goes when nothing is left in
 * it, so choosing mergekit's value again leaves the YAML as mergekit would have it.
 */
export function setStudioOption<K extends EditableStudioOption>(
  r: Recipe,
  key: K,
  value: StudioOptions[K] | undefined,
): Recipe {
  const { merge_studio: studio, ...rest } = r;
  const { [key]: _old, ...others } = studio ?? {};
  const next: StudioOptions = value === undefined ? others : { ...others, [key]: value };
  return Object.keys(next).length > 0 ? { ...rest, merge_studio: next } : rest;
}

/**
 * merge_studio.weights with `model`'s weight set; 1 (the weight of a model the map does not
 * name) or undefined removes it, and an empty map is undefined, for setStudioOption('weights').
 */
export function withStudioWeight(
  weights: Weights | undefined,
  model: string,
  weight: number | undefined,
): Weights | undefined {
  const { [model]: _old, ...others } = weights ?? {};
  const next = weight === undefined || weight === 1 ? others : { ...others, [model]: weight };
  return Object.keys(next).length > 0 ? next : undefined;
}
