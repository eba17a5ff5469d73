/**
 * The sphere's real-tensor mode: which two models and which tensor (defaults: the recipe's base
 * and the first other model, a layer's q_proj), loading them, and their exact picture.
 */
import { useMemo, useState } from 'react';
import type { LoadedModel } from '../../../../workers/io/load-model.ts';
import { selectModelIds } from '../../../stores/selectors.ts';
import { useStudio } from '../../../stores/store.ts';
import { commonTensorNames, defaultTensor, useTensorRegions, useVisModels } from '../common/use-real-data.ts';
import { layerPosition } from '../layer-angles.ts';
import { placePair, type PlacedPair } from '../real-pair.ts';
import type { TensorPlace } from '../recipe-link.ts';

export interface RealPair {
  readonly ids: readonly string[];
  readonly idA: string | undefined;
  readonly idB: string | undefined;
  readonly setA: (id: string) => void;
  readonly setB: (id: string) => void;
  readonly names: readonly string[];
  readonly tensor: string | undefined;
  readonly setTensor: (name: string) => void;
  readonly models: readonly LoadedModel[] | undefined;
  /** The tensors' values, A then B. */
  readonly values: readonly [Float32Array, Float32Array] | undefined;
  readonly pair: PlacedPair | undefined;
  readonly place: TensorPlace | undefined;
  readonly pending: boolean;
  readonly error: string | undefined;
}

export function useRealPair(enabled: boolean): RealPair {
  const ids = useStudio(selectModelIds);
  const baseModel = useStudio((s) => s.recipe.base_model);
  const [wantA, setA] = useState<string>();
  const [wantB, setB] = useState<string>();
  const [wantTensor, setTensor] = useState<string>();
  const idA = wantA && ids.includes(wantA) ? wantA : (baseModel ?? ids[0]);
  const idB = wantB && ids.includes(wantB) && wantB !== idA ? wantB : ids.find((id) => id !== idA);
  const loaded = useVisModels(enabled && idA && idB ? [idA, idB] : []);
  const names = useMemo(() => commonTensorNames(loaded.data), [loaded.data]);
  const tensor = wantTensor && names.includes(wantTensor) ? wantTensor : defaultTensor(names);
  const regions = useTensorRegions(loaded.data, tensor, 'whole');
  const values = useMemo(
    () =>
      regions.data?.length === 2
        ? ([regions.data[0]!.values, regions.data[1]!.values] as [Float32Array, Float32Array])
        : undefined,
    [regions.data],
  );
  const placed = useMemo(() => {
    if (!values) return { pair: undefined, error: undefined };
    try {
      return { pair: placePair(values[0], values[1]), error: undefined };
    } catch (e) {
      return { pair: undefined, error: (e as Error).message };
    }
  }, [values]);
  const first = loaded.data?.[0];
  const place = useMemo(
    () => (first && tensor ? { name: tensor, layerT: layerPosition(first, tensor) } : undefined),
    [first, tensor],
  );
  return {
    ids,
    idA,
    idB,
    setA,
    setB,
    names,
    tensor,
    setTensor,
    models: loaded.data,
    values,
    pair: placed.pair,
    place,
    pending: loaded.pending || (tensor !== undefined && regions.pending),
    error: loaded.error ?? regions.error ?? placed.error,
  };
}
