/**
 * Model search for the studio's model picker: `listModels` of @huggingface/hub through the same
 * client as the reader (token only to the hub's origin, retries, bounded concurrency). Returns
 * small plain objects, safe to post from a worker or keep in a query cache.
 */
import { listModels } from '@huggingface/hub';
import { createHubClient, type HubClientOptions } from './hub-client.ts';

export interface HubModelEntry {
  /** The repo id, as a recipe names it. */
  readonly id: string;
  readonly downloads: number;
  readonly likes: number;
  readonly gated: false | 'auto' | 'manual';
  readonly private: boolean;
  /** ISO date of the last commit. */
  readonly updatedAt: string;
}

export interface SearchOptions extends HubClientOptions {
  /** At most this many results (default 20). */
  readonly limit?: number;
  /** The Hub's order, e.g. 'downloads' (most first); default its relevance order. */
  readonly sort?: 'downloads' | 'likes' | 'lastModified';
  readonly signal?: AbortSignal;
}

export async function searchModels(query: string, options: SearchOptions = {}): Promise<HubModelEntry[]> {
  const client = createHubClient(options);
  const limit = options.limit ?? 20;
  return client.run(
    { model: query, what: `search for '${query}'`, signal: options.signal },
    async (fetch) => {
      const out: HubModelEntry[] = [];
      const sort = options.sort && { sort: options.sort };
      const found = listModels({ search: { query }, limit, hubUrl: client.hubUrl, fetch, ...sort });
      for await (const m of found) {
        out.push({
          id: m.name,
          downloads: m.downloads,
          likes: m.likes,
          gated: m.gated,
          private: m.private,
          updatedAt: m.updatedAt.toISOString(),
        });
      }
      return out;
    },
  );
}
