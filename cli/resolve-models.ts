/**
 * Where the CLI reads a recipe's models from, decided once per command. A model id that names a
 * folder is read from it, as in mergekit (see ./model-place.ts for the order: DIR/<id>, then the
 * id as a path from the working directory); every other id is a Hub repo, read from:
 *
 *   --models DIR only        nowhere: it is an error, and the network is never used (as before)
 *   --hub-url URL            the Hub (or a local hub) at URL
 *   neither                  the Hub: $HF_ENDPOINT, else https://huggingface.co
 *
 * so one recipe can mix local folders and Hub repos. The token comes from --token, else
 * $HF_TOKEN, and is given to the hub reader only (which sends it to the hub's origin only).
 * $HF_TOKEN is the user's Hugging Face token, so, as with huggingface_hub, it goes only to
 * huggingface.co or to $HF_ENDPOINT: any other --hub-url gets a token only from --token. The
 * model card lists Hub models as base_model and links them only when they come from
 * huggingface.co itself: a local hub's names and local folders are not Hub repos.
 */
import { DEFAULT_HUB_URL } from '../workers/io/hub/hub-client.ts';
import { hubResolver, type HubResolver } from '../workers/io/hub/hub-resolver.ts';
import { folderModelSource } from '../workers/io/node/fs-source.ts';
import { splitAdapterRef } from '../workers/io/lora/adapter-ref.ts';
import { SourceError, type ModelResolver } from '../workers/io/source.ts';
import { looksLikePath, placeModel, type ModelPlace } from './model-place.ts';

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
  /** "local folders in DIR, else the working directory, else http://127.0.0.1:5174", for messages. */
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

export interface ResolveOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly onLog?: (line: string) => void;
  /** Where relative paths start (default: process.cwd(); tests give their own). */
  readonly cwd?: string;
  /** What a failed hub read tells the user to do (merge passes MERGE_READ_ADVICE). */
  readonly readAdvice?: string;
}

/** A log line for a folder the user may not expect: a Hub-like name found here, or a dropped @revision. */
function folderNote(id: string, place: ModelPlace): string | undefined {
  if (place.kind !== 'folder') return undefined;
  const why = [
    place.fromCwd && !looksLikePath(id) && 'a folder by that name is in the working directory',
    place.ignoredRevision !== undefined && `@${place.ignoredRevision} is ignored: a folder has no revisions`,
  ].filter((w) => w !== false);
  return why.length > 0 ? `${id}: reading the local folder ${place.dir} (${why.join('; ')})` : undefined;
}

export function resolveModels(
  args: ModelArgs,
  ids: readonly string[],
  options: ResolveOptions = {},
): ResolvedModels {
  const { env = process.env, onLog, cwd = process.cwd(), readAdvice } = options;
  const dir = args.models;
  const placeOf = (id: string): ModelPlace => placeModel(id, { modelsDir: dir, cwd });
  // A `base+adapter` reference is read as its two parts (workers/io/lora/with-adapters.ts).
  const parts = ids.flatMap((id) => {
    const ref = splitAdapterRef(id);
    return ref ? [ref.base, ref.adapter] : [id];
  });
  const places = new Map(parts.map((id) => [id, placeOf(id)]));
  for (const [id, place] of places) {
    const note = folderNote(id, place);
    if (note) onLog?.(note);
  }
  const fromHub = [...places.keys()].filter((id) => places.get(id)?.kind === 'hub');
  // --models alone never uses the network, as before local paths were read.
  const hub =
    dir === undefined || args['hub-url'] !== undefined ? openHub(args, env, onLog, readAdvice) : undefined;
  if (hub?.withheld && fromHub.length > 0) onLog?.(hub.withheld);
  const resolve: ModelResolver = async (id, signal) => {
    const place = places.get(id) ?? placeOf(id);
    if (place.kind === 'folder') return folderModelSource(id, place.dir);
    if (place.kind === 'missing') throw new SourceError(place.message);
    if (!hub) throw new SourceError(`model '${id}' not found: expected a folder ${place.tried.join(' or ')}`);
    return hub.resolve(id, signal);
  };
  const isRealHub =
    hub !== undefined && new URL(hub.resolve.hubUrl).origin === new URL(DEFAULT_HUB_URL).origin;
  const sources = [
    dir !== undefined && `local folders in ${dir}`,
    'the working directory',
    hub?.resolve.hubUrl,
  ];
  return {
    resolve,
    hub: hub?.resolve,
    hubModels: new Set(isRealHub ? fromHub : []),
    from: sources.filter((s) => typeof s === 'string').join(', else '),
  };
}

function openHub(
  args: ModelArgs,
  env: NodeJS.ProcessEnv,
  onLog: ((line: string) => void) | undefined,
  readAdvice: string | undefined,
): { resolve: HubResolver; withheld: string | undefined } {
  const access = hubAccess(args, env);
  const resolve = hubResolver({
    hubUrl: access.hubUrl,
    ...(access.token !== undefined && { token: access.token }),
    tokenHint: access.tokenHint,
    ...(readAdvice !== undefined && { readAdvice }),
    ...(onLog && { onLog }),
  });
  return { resolve, withheld: access.withheld };
}

/** "hub: 32 requests to http://... (3 retried)", or undefined when no hub was used. */
export function hubSummary(models: ResolvedModels): string | undefined {
  const h = models.hub;
  if (!h || h.stats.requests === 0) return undefined;
  return `hub: ${h.stats.requests} HTTP requests to ${h.hubUrl}${h.stats.retries ? ` (${h.stats.retries} retried)` : ''}`;
}
