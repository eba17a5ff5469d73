/**
 * Model metadata for the page: config and safetensors headers only (a few small range reads),
 * from an opened folder or from the hub. Used through TanStack Query (useModelInfo), so each
 * model is read once per hub and token.
 */
import { useQueries, useQuery } from '@tanstack/react-query';
import { hubResolver } from '../../workers/io/hub/hub-resolver.ts';
import { loadModel, type LoadedModel } from '../../workers/io/load-model.ts';
import { withAdapters } from '../../workers/io/lora/with-adapters.ts';
import { localSource } from './local-files.ts';

export async function loadModelInfo(
  id: string,
  hubUrl: string,
  token: string,
  signal?: AbortSignal,
): Promise<LoadedModel> {
  const hub = hubResolver({ hubUrl, ...(token && { token }) });
  // A `base+adapter` id (mergekit's LoRA form) reads each part from a folder or the hub.
  const resolve = withAdapters(async (part, s) => localSource(part) ?? hub(part, s));
  return loadModel(await resolve(id, signal), signal);
}

/** The TanStack Query options for one model's headers: one cache entry per hub, model and token presence. */
export function modelInfoQuery(id: string, hubUrl: string, token: string, local: boolean) {
  return {
    // The token is part of the cache identity only as a flag: it must not sit in query keys.
    queryKey: ['model-info', local ? 'local' : hubUrl, id, token !== ''] as const,
    queryFn: ({ signal }: { signal: AbortSignal }) => loadModelInfo(id, hubUrl, token, signal),
    staleTime: 5 * 60_000,
    retry: false,
  };
}

export function useModelInfo(id: string, hubUrl: string, token: string, local: boolean) {
  return useQuery(modelInfoQuery(id, hubUrl, token, local));
}

/** useModelInfo for several models at once (the compatibility report, size estimates). */
export function useModelInfos(
  ids: readonly string[],
  hubUrl: string,
  token: string,
  local: Readonly<Record<string, unknown>>,
) {
  return useQueries({ queries: ids.map((id) => modelInfoQuery(id, hubUrl, token, id in local)) });
}
