/**
 * What the TIES view runs the engine on: the toy vectors, or the real base and task-vector
 * models read around the patch, with each model's weight and the method's settings as the
 * recipe resolves them for that tensor (TIES defaults when the recipe is another method).
 */
import { useMemo } from 'react';
import type { Recipe } from '../../../../workers/plan/recipe.ts';
import type { DataMode } from '../common/Controls.tsx';
import type { TaskVectorSource } from '../common/use-task-vectors.ts';
import { paramValue, type TensorPlace } from '../recipe-link.ts';
import { cropPatch } from '../tensor-region.ts';
import type { Crop } from '../ties-panels.ts';
import type { TiesSettings } from '../ties-steps.ts';
import { TOY_TIES, TOY_TIES_NAMES } from '../toy-data.ts';

export interface TiesInputs {
  readonly base: Float32Array;
  readonly inputs: readonly Float32Array[];
  readonly names: readonly string[];
  readonly shape: readonly number[];
  /** The shown part: the whole toy vector, or the real patch. */
  readonly rows: number;
  readonly cols: number;
  readonly crop: Crop;
  readonly settings: Omit<TiesSettings, 'densities'>;
}

const TOY_N = TOY_TIES[0]!.length;
const TOY: TiesInputs = {
  base: new Float32Array(TOY_N),
  inputs: TOY_TIES,
  names: TOY_TIES_NAMES,
  shape: [TOY_N],
  rows: 1,
  cols: TOY_N,
  crop: (v) => v,
  settings: { weights: [1, 1, 1], normalize: true, lambda: 1, rescale: false },
};

function settingsOf(
  recipe: Recipe,
  modelIds: readonly string[],
  place: TensorPlace | undefined,
): Omit<TiesSettings, 'densities'> {
  const weights = modelIds.map((id) => {
    const w = paramValue(recipe, 'weight', id, place);
    return typeof w === 'number' ? w : 1;
  });
  if (recipe.merge_method !== 'ties') return { weights, normalize: true, lambda: 1, rescale: false };
  const lambda = paramValue(recipe, 'lambda', undefined, place);
  return {
    weights,
    normalize: recipe.parameters?.['normalize'] !== false,
    lambda: typeof lambda === 'number' ? lambda : 1,
    rescale: recipe.parameters?.['rescale'] === true,
  };
}

export function useTiesInputs(mode: DataMode, src: TaskVectorSource, recipe: Recipe): TiesInputs | undefined {
  const { regions, patch, modelIds, place } = src;
  const settings = useMemo(() => settingsOf(recipe, modelIds, place), [recipe, modelIds, place]);
  return useMemo(() => {
    if (mode === 'toy') return TOY;
    if (!regions || regions.length < 2) return undefined;
    const [base, ...models] = regions as [NonNullable<typeof regions>[number], ...typeof regions];
    const shown = cropPatch(base, base.values, patch.row, patch.col);
    return {
      base: base.values,
      inputs: models.map((m) => m.values),
      names: modelIds,
      shape: [base.rows, base.cols],
      rows: shown.rows,
      cols: shown.cols,
      crop: (v) => cropPatch(base, v, patch.row, patch.col).values,
      settings,
    };
  }, [mode, regions, patch.row, patch.col, modelIds, settings]);
}
