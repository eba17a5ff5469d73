/**
 * Model metadata for the page: config and the weights' headers only (a few small range reads),
 * from an opened folder or from the hub. Used through TanStack Query (useModelInfo), so each
 * model is read once per hub and token.
 */
import { useQueries, useQuery } from '@tanstack/react-query';
import { hubResolver } from '../../workers/io/hub/hub-resolver.ts';
import { loadModel, type LoadedModel } from '../../workers/io/load-model.ts';
import { ADAPTER_CONFIG } from '../../workers/io/lora/open-adapter.ts';
import { withAdapters } from '../../workers/io/lora/with-adapters.ts';
import { SourceError, type ModelSource } from '../../workers/io/source.ts';
import { localFolder, localSource, modelIdParts } from './local-files.ts';

/**
 * A PEFT LoRA adapter added as if it were a model: it has no config.json nor full weights of
 * its own, so it can only be merged into a base, as mergekit's `base+adapter`.
 */
export class AdapterNotModelError extends SourceError {
  override readonly name: string = 'AdapterNotModelError';
  constructor(readonly id: string) {
    super(
      `${id} is a LoRA adapter (it has ${ADAPTER_CONFIG} and no config.json), not a model: remove it, ` +
        `then apply it to the model it was trained for with “Apply LoRA adapter…” on that model ` +
        `(the model becomes base+${id})`,
    );
  }
}

/**
 * loadModel, with a failure on an adapter's folder or repo said as such. The listing is the
 * one loadModel read (sources keep it), so telling the two apart costs no request.
 */
async function loadOrExplain(source: ModelSource, signal?: AbortSignal): Promise<LoadedModel> {
  try {
    return await loadModel(source, signal);
  } catch (e) {
    if (!(e instanceof SourceError) || source.id.includes('+')) throw e;
    const files = await source.listFiles(signal).catch(() => [] as readonly string[]);
    if (files.includes(ADAPTER_CONFIG) && !files.includes('config.json'))
      throw new AdapterNotModelError(source.id);
    throw e;
  }
}

export async function loadModelInfo(
  id: string,
  hubUrl: string,
  token: string,
  signal?: AbortSignal,
): Promise<LoadedModel> {
  const hub = hubResolver({ hubUrl, ...(token && { token }) });
  // A `base+adapter` id (mergekit's LoRA form) reads each part from a folder or the hub.
  const resolve = withAdapters(async (part, s) => localSource(part) ?? hub(part, s));
  return loadOrExplain(await resolve(id, signal), signal);
}

/**
 * Where a model's headers come from, for the cache key: 'local' or the hub. A `base+adapter`
 * id names each part's place (read from the folder registry), so opening the folder of one part
 * reads the model again instead of keeping an earlier "not found".
 */
function sourceKey(id: string, hubUrl: string, local: boolean): string {
  if (local || !id.includes('+')) return local ? 'local' : hubUrl;
  return modelIdParts(id)
    .map((part) => (localFolder(part) ? 'local' : hubUrl))
    .join('+');
}

/** The TanStack Query options for one model's headers: one cache entry per hub, model and token presence. */
export function modelInfoQuery(id: string, hubUrl: string, token: string, local: boolean) {
  return {
    // The token is part of the cache identity only as a flag: it must not sit in query keys.
    queryKey: ['model-info', sourceKey(id, hubUrl, local), id, token !== ''] as const,
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
