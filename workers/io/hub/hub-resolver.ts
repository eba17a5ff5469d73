/**
 * `hubResolver(options)`: the ModelResolver for recipes that name Hub repos (`org/name`,
 * `org/name@revision`). Give it to a MergeJob as `resolve`; its `stats` then count the job's
 * HTTP requests (the engine's `readRequests` counts only tensor-data reads). Use one resolver
 * per job, and route its `onLog` to the job's log so retries are visible there.
 *
 *   const resolve = hubResolver({ hubUrl, token, onLog: log });
 *   await runMerge({ recipe, resolve, sink, onLog: log });
 *   log(`${resolve.stats.requests} requests`);
 */
import type { ModelResolver } from '../source.ts';
import { createHubClient, type HubClientOptions } from './hub-client.ts';
import type { HubStats } from './hub-fetch.ts';
import { openHubModel, type HubSourceOptions } from './hub-model-source.ts';

export type HubResolverOptions = HubClientOptions & HubSourceOptions;

export interface HubResolver extends ModelResolver {
  readonly hubUrl: string;
  /** Live counts: HTTP requests sent (retries included) and retries. */
  readonly stats: Readonly<HubStats>;
}

export function hubResolver(options: HubResolverOptions = {}): HubResolver {
  const client = createHubClient(options);
  const source = options.xet === undefined ? {} : { xet: options.xet };
  const resolve: ModelResolver = (id, signal) => openHubModel(client, id, source, signal);
  return Object.assign(resolve, { hubUrl: client.hubUrl, stats: client.stats });
}
