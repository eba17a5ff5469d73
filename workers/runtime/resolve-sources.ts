/**
 * Model ids to sources inside the worker: folders the user opened come as File objects; every
 * other id is a Hub repo, read through a hub client created here (hub Blobs cannot cross the
 * worker boundary).
 */
import { hubResolver, type HubResolver } from '../io/hub/hub-resolver.ts';
import { blobModelSource } from '../io/memory.ts';
import { SourceError, type ModelResolver } from '../io/source.ts';
import type { ModelSources } from './requests.ts';

export interface ResolvedSources {
  readonly resolve: ModelResolver;
  /** Ids read from huggingface.co (linked in the model card; a local hub's models are not). */
  readonly hubModels: Set<string>;
  readonly hub: HubResolver | undefined;
}

export function isOfficialHub(url: string): boolean {
  return /^https:\/\/huggingface\.co\/?$/.test(url);
}

/**
 * The hub a command line shown for a job must name (`--hub-url`): the request's, when it is not
 * the CLI's default and a part of one of `ids` (`base+adapter` counts as two) is read from it.
 */
export function commandHub(sources: ModelSources, ids: readonly string[]): string | undefined {
  const hub = sources.hub;
  if (!hub || isOfficialHub(hub.url)) return undefined;
  const parts = ids.flatMap((id) => id.split('+'));
  return parts.some((p) => !Object.hasOwn(sources.local ?? {}, p)) ? hub.url : undefined;
}

/**
 * `readAdvice`: what a failed hub read tells the user to do; a merge passes MERGE_READ_ADVICE
 * (errors.ts), previews and plans keep the plain default.
 */
export function resolveSources(
  sources: ModelSources,
  onLog: (line: string) => void,
  readAdvice?: string,
): ResolvedSources {
  const hub = sources.hub
    ? hubResolver({
        hubUrl: sources.hub.url,
        ...(sources.hub.token && { token: sources.hub.token }),
        ...(readAdvice !== undefined && { readAdvice }),
        onLog,
      })
    : undefined;
  const hubModels = new Set<string>();
  const resolve: ModelResolver = async (id, signal) => {
    const local = sources.local?.[id];
    if (local) return blobModelSource(id, new Map(local.files.map((f) => [f.path, f.file])));
    if (!hub) throw new SourceError(`model '${id}' is not among the opened folders and no hub is configured`);
    if (isOfficialHub(hub.hubUrl)) hubModels.add(id);
    return hub(id, signal);
  };
  return { resolve, hubModels, hub };
}
