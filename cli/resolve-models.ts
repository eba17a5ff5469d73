/**
 * Where the CLI reads a recipe's models from, decided once per command:
 *
 *   --models DIR only        local folders DIR/<name>; never the network (as before)
 *   --hub-url URL only       the Hub (or a local hub) at URL
 *   both                     DIR/<name> when that folder exists, else the hub at URL
 *   neither                  the Hub: $HF_ENDPOINT, else https://huggingface.co
 *
 * The token comes from --token, else $HF_TOKEN, and is given to the hub reader only (which
 * sends it to the hub's origin only). $HF_TOKEN is the user's Hugging Face token, so, as with
 * huggingface_hub, it goes only to huggingface.co or to $HF_ENDPOINT: any other --hub-url gets
 * a token only from --token. The model card lists Hub models as base_model and links them only
 * when they come from huggingface.co itself: a local hub's names are not Hub repos.
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

export interface HubAccess {
  readonly hubUrl: string;
  readonly token: string | undefined;
  /** How to give a token, for the gated/private message. */
  readonly tokenHint: string;
  /** Why $HF_TOKEN was set but not used, for the log. */
  readonly withheld: string | undefined;
}

function originOf(url: string | undefined): string | undefined {
  try {
    return url === undefined ? undefined : new URL(url).origin;
  } catch {
    return undefined; // the hub reader explains a bad URL
  }
}

/** The hub to read from, and the token for it: $HF_TOKEN only for the hubs it is meant for. */
export function hubAccess(args: ModelArgs, env: NodeJS.ProcessEnv): HubAccess {
  // An empty variable counts as unset, as in huggingface_hub.
  const endpoint = env['HF_ENDPOINT'] || undefined;
  const hubUrl = args['hub-url'] ?? endpoint ?? DEFAULT_HUB_URL;
  const origin = originOf(hubUrl);
  const envHubs = [originOf(DEFAULT_HUB_URL), originOf(endpoint)];
  const envApplies = origin !== undefined && envHubs.includes(origin);
  const envToken = env['HF_TOKEN'] || undefined;
  const token = args.token ?? (envApplies ? envToken : undefined);
  const withheld =
    args.token === undefined && !envApplies && envToken !== undefined
      ? `HF_TOKEN is not sent to ${hubUrl} (only to huggingface.co or $HF_ENDPOINT): give that hub's token with --token`
      : undefined;
  const tokenHint = envApplies
    ? 'give it with --token or the HF_TOKEN environment variable'
    : 'give it with --token; HF_TOKEN goes only to huggingface.co or $HF_ENDPOINT';
  return { hubUrl, token, tokenHint, withheld };
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
  const access = hubAccess(args, env);
  const hub = hubResolver({
    hubUrl: access.hubUrl,
    ...(access.token !== undefined && { token: access.token }),
    tokenHint: access.tokenHint,
    ...(onLog && { onLog }),
  });
  if (access.withheld) onLog?.(access.withheld);
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
