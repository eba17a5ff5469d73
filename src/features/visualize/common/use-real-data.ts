/**
 * Real tensors for the teaching views, through TanStack Query: model headers (shared with the
 * model picker's cache: same key and loader as useModelInfo) and the bytes of the one tensor,
 * or band of rows, a view shows. Tensor data stays in the query cache, never in the store, and
 * is dropped soon after no view uses it.
 */
import { useQueries, type UseQueryResult } from '@tanstack/react-query';
import { modelInfoQuery } from '../../../engine/model-info.ts';
import type { LoadedModel } from '../../../../workers/io/load-model.ts';
import { useStudio } from '../../../stores/store.ts';
import { readTensorRows, readWholeTensor, type TensorRegion } from '../tensor-region.ts';

/** Tensor bytes at a pinned revision never change; drop them a minute after the view moves on. */
const TENSOR_GC_MS = 60_000;

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly pending: boolean;
  readonly error: string | undefined;
}

function combine<T>(
  results: readonly { data?: T | undefined; isPending: boolean; error: Error | null }[],
): Loaded<T[]> {
  const error = results.find((r) => r.error)?.error;
  const pending = results.some((r) => r.isPending);
  const data = results.every((r) => r.data !== undefined) ? results.map((r) => r.data!) : undefined;
  return { data: error ? undefined : data, pending: pending && !error, error: error?.message };
}

export function useVisModels(ids: readonly string[]): Loaded<LoadedModel[]> {
  const hubUrl = useStudio((s) => s.hubUrl);
  const token = useStudio((s) => s.token);
  const localFolders = useStudio((s) => s.localFolders);
  return useQueries({
    queries: ids.map((id) => modelInfoQuery(id, hubUrl, token, id in localFolders)),
    combine: combineModels,
  });
}

// Module-level, so TanStack Query keeps each combined result until a query changes.
const combineModels = (r: UseQueryResult<LoadedModel>[]) => combine<LoadedModel>(r);
const combineRegions = (r: UseQueryResult<TensorRegion>[]) => combine<TensorRegion>(r);

export type RowChoice = 'whole' | { readonly start: number; readonly count: number };

export function useTensorRegions(
  models: readonly LoadedModel[] | undefined,
  name: string | undefined,
  rows: RowChoice,
): Loaded<TensorRegion[]> {
  const hubUrl = useStudio((s) => s.hubUrl);
  const localFolders = useStudio((s) => s.localFolders);
  const rowsKey = rows === 'whole' ? 'whole' : `${rows.start}+${rows.count}`;
  return useQueries({
    queries: (models ?? []).map((m) => ({
      queryKey: [
        'visualize-tensor',
        m.id in localFolders ? 'local' : hubUrl,
        m.id,
        m.source.revision ?? '',
        name,
        rowsKey,
      ],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        rows === 'whole' ? readWholeTensor(m, name!, signal) : readTensorRows(m, name!, rows, signal),
      enabled: name !== undefined && m.tensors.has(name),
      staleTime: Infinity,
      gcTime: TENSOR_GC_MS,
      retry: false,
    })),
    combine: combineRegions,
  });
}

/** Tensor names every model has, in the first model's order (layers numerically). */
export function commonTensorNames(models: readonly LoadedModel[] | undefined): string[] {
  const [first, ...rest] = models ?? [];
  if (!first) return [];
  const names = [...first.tensors.keys()].filter((n) => rest.every((m) => m.tensors.has(n)));
  return names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** The tensor a view opens on: a layer's q_proj when there is one (small, and every model has it). */
export function defaultTensor(names: readonly string[]): string | undefined {
  return (
    names.find((n) => n.endsWith('.1.self_attn.q_proj.weight')) ??
    names.find((n) => n.includes('q_proj')) ??
    names[0]
  );
}
