/**
 * Where the CLI reads a recipe's models from, decided once per command:
 *
 *   --models DIR only        local folders DIR/<name>; never the network (as before)
 *   --hub-url URL only       the Hub (or a local hub) at URL
 *   both                     DIR/<name> when that folder exists, else the hub at URL
 *   neither                  the Hub: $HF_ENDPOINT, else https://huggingface.co
 *
 * The token comes from --token, else $HF_TOKEN, and is given to the hub reader only (which
 * sends it to the hub's origin only). The model card lists Hub models as base_model and links
 * them only when they come from huggingface.co itself: a local hub's names are not Hub repos.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_HUB_URL } from '../workers/io/hub/hub-client.ts';
import { hubResolver, type HubResolver } from '../workers/io/hub/hub-resolver.ts';
import { folderResolver } from '../workers/io/node/fs-source.ts';
import type { ModelResolver } from '../workers/io/source.ts';

/** The parseArgs options every command that reads models accepts. */
export const MODEL_OPTIONS = {
  models: { type: 'string' },
  'hub-url': { type: 'string' },
  token: { type: 'string' },
} as const;

export interface ModelArgs {
  readonly models?: string | undefined;
  readonly 'hub-url'?: string | undefined;
  readonly token?: string | undefined;
}

export interface ResolvedModels {
  readonly resolve: ModelResolver;
  /** The hub reader, when any model may come from a hub (for its request count). */
  readonly hub: HubResolver | undefined;
  /** Models read from huggingface.co (for the model card). */
  readonly hubModels: ReadonlySet<string>;
  /** "local folders in DIR", "http://127.0.0.1:5174", ... for messages. */
  readonly from: string;
}

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function resolveModels(
  args: ModelArgs,
  ids: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  onLog?: (line: string) => void,
): ResolvedModels {
  const dir = args.models;
  const local = dir === undefined ? undefined : folderResolver(dir);
  if (local && args['hub-url'] === undefined) {
    return { resolve: local, hub: undefined, hubModels: new Set(), from: `local folders in ${dir}` };
  }
  const token = args.token ?? env['HF_TOKEN'];
  const hub = hubResolver({
    hubUrl: args['hub-url'] ?? env['HF_ENDPOINT'] ?? DEFAULT_HUB_URL,
    ...(token !== undefined && { token }),
    tokenHint: 'give it with --token or the HF_TOKEN environment variable',
    ...(onLog && { onLog }),
  });
  const inDir = (id: string): boolean => dir !== undefined && isFolder(path.resolve(dir, id));
  const fromHub = ids.filter((id) => !inDir(id));
  const isRealHub = new URL(hub.hubUrl).origin === new URL(DEFAULT_HUB_URL).origin;
  return {
    resolve: (id, signal) => (local && inDir(id) ? local(id, signal) : hub(id, signal)),
    hub,
    hubModels: new Set(isRealHub ? fromHub : []),
    from: local ? `local folders in ${dir}, else ${hub.hubUrl}` : hub.hubUrl,
  };
}

/** "hub: 32 requests to http://... (3 retried)", or undefined when no hub was used. */
export function hubSummary(models: ResolvedModels): string | undefined {
  const h = models.hub;
  if (!h || h.stats.requests === 0) return undefined;
  return `hub: ${h.stats.requests} HTTP requests to ${h.hubUrl}${h.stats.retries ? ` (${h.stats.retries} retried)` : ''}`;
}
