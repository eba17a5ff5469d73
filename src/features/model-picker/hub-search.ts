/**
 * The model picker's search as TanStack Query options. It goes through the engine's
 * `searchModels`, so the token follows the hub client's policy like every other Hub read: sent
 * only to the hub's origin (never to a `Link: next` page elsewhere), never over plain http:// to
 * another machine, and redacted from errors.
 */
import { searchModels, type HubModelEntry } from '../../../workers/io/hub/search-models.ts';

/** Search as you type: one retry, so a hub that is down says so within a second or two. */
const SEARCH_RETRY = { attempts: 2 } as const;

export function hubSearchQuery(hubUrl: string, token: string, query: string) {
  return {
    // The token is part of the cache identity only as a flag (it shows private repos): never in keys.
    queryKey: ['hub-search', hubUrl, query, token !== ''] as const,
    queryFn: ({ signal }: { signal: AbortSignal }): Promise<HubModelEntry[]> =>
      searchModels(query, {
        hubUrl,
        ...(token && { token }),
        limit: 20,
        sort: 'downloads',
        retry: SEARCH_RETRY,
        signal,
      }),
    staleTime: 60_000,
    // The hub client retries already.
    retry: false,
  };
}
