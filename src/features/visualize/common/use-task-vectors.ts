/**
 * Real task vectors for the TIES and DARE views: the recipe's base and its other models (in
 * recipe order, which is the engine's input index for the random stream), one tensor, and the
 * rows around a 16x16 patch (the whole tensor when it is small, as the merge sees it).
 */
import { useMemo, useState } from 'react';
import type { LoadedModel } from '../../../../workers/io/load-model.ts';
import { getMethod } from '../../../../workers/methods/registry.ts';
import { rowsOf } from '../../../../workers/methods/shared/vec.ts';
import { useStudio } from '../../../stores/store.ts';
import { layerPosition } from '../layer-angles.ts';
import type { TensorPlace } from '../recipe-link.ts';
import { patchSourceRows, PATCH, type TensorRegion } from '../tensor-region.ts';
import { commonTensorNames, defaultTensor, useTensorRegions, useVisModels } from './use-real-data.ts';

export interface TaskVectorSource {
  readonly baseId: string | undefined;
  /** The other models, in recipe order. */
  readonly modelIds: readonly string[];
  readonly names: readonly string[];
  readonly tensor: string | undefined;
  readonly setTensor: (name: string) => void;
  readonly baseModel: LoadedModel | undefined;
  readonly patch: { readonly row: number; readonly col: number };
  readonly setPatch: (p: { row: number; col: number }) => void;
  /** The tensor's matrix size. */
  readonly size: { readonly rows: number; readonly cols: number } | undefined;
  /** What was read: base first, then the models. */
  readonly regions: readonly TensorRegion[] | undefined;
  readonly place: TensorPlace | undefined;
  readonly pending: boolean;
  readonly error: string | undefined;
}

export function useTaskVectors(enabled: boolean, maxModels: number): TaskVectorSource {
  const recipe = useStudio((s) => s.recipe);
  const ids = (recipe.models ?? []).map((m) => m.model);
  const usesBase = getMethod(recipe.merge_method)?.base !== 'input';
  const baseId = (usesBase && recipe.base_model) || ids[0];
  // Keyed by content, so the array stays the same object while the models do (memos depend on it).
  const othersKey = ids
    .filter((id) => id !== baseId)
    .slice(0, maxModels)
    .join('\n');
  const modelIds = useMemo(() => (othersKey ? othersKey.split('\n') : []), [othersKey]);
  const loaded = useVisModels(enabled && baseId && modelIds.length > 0 ? [baseId, ...modelIds] : []);
  const names = useMemo(() => commonTensorNames(loaded.data), [loaded.data]);
  const [wantTensor, setTensor] = useState<string>();
  const tensor = wantTensor && names.includes(wantTensor) ? wantTensor : defaultTensor(names);
  const [patch, setPatch] = useState({ row: 0, col: 0 });
  const meta = tensor ? loaded.data?.[0]?.tensors.get(tensor) : undefined;
  const size = meta && rowsOf(meta.shape);
  const clamped = size
    ? {
        row: Math.max(0, Math.min(patch.row, size.rows - PATCH)),
        col: Math.max(0, Math.min(patch.col, size.cols - PATCH)),
      }
    : patch;
  const rows = meta ? patchSourceRows(meta.shape, clamped.row) : 'whole';
  const regions = useTensorRegions(loaded.data, tensor, rows);
  const first = loaded.data?.[0];
  const place = useMemo(
    () => (first && tensor ? { name: tensor, layerT: layerPosition(first, tensor) } : undefined),
    [first, tensor],
  );
  return {
    baseId,
    modelIds,
    names,
    tensor,
    setTensor,
    baseModel: first,
    patch: clamped,
    setPatch,
    size,
    regions: regions.data,
    place,
    pending: loaded.pending || (tensor !== undefined && regions.pending),
    error: loaded.error ?? regions.error,
  };
}
