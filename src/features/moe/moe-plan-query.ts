/**
 * The TanStack Query options for the MoE preview (what a build of the form's config writes).
 * The key names everything the plan reads: the config text, the largest shard, the hub, whether
 * a token is set (never the token itself), and the opened local folders the config uses (with
 * their file count and size, so another folder opened under the same name plans again). The
 * plan runs in the page's plan worker (engine/merge-client.ts), from the headers it keeps; the
 * signal stops a superseded one there.
 */
import { localFolders, modelIdParts } from '../../engine/local-files.ts';
import { planMoe } from '../../engine/merge-client.ts';
import type { LocalFolderInfo } from '../../stores/sources-slice.ts';

export interface MoePlanInput {
  readonly configText: string;
  /** The config's model ids, base first (a `base+adapter` id included as written). */
  readonly ids: readonly string[];
  readonly maxShardBytes: number;
  readonly hubUrl: string;
  readonly token: string;
  /** The store's opened folders, by id. */
  readonly localFolders: Readonly<Record<string, LocalFolderInfo>>;
}

export function moePlanQuery(input: MoePlanInput) {
  const local = [...new Set(input.ids.flatMap(modelIdParts))]
    .filter((id) => Object.hasOwn(input.localFolders, id))
    .sort()
    .map((id) => [id, input.localFolders[id]!.files, input.localFolders[id]!.bytes] as const);
  return {
    queryKey: [
      'moe-plan',
      input.configText,
      input.maxShardBytes,
      input.hubUrl,
      input.token !== '',
      local,
    ] as const,
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      planMoe(
        {
          configText: input.configText,
          maxShardBytes: input.maxShardBytes,
          sources: {
            local: localFolders(input.ids),
            hub: { url: input.hubUrl, ...(input.token && { token: input.token }) },
          },
        },
        signal,
      ),
    staleTime: 60_000,
    retry: false,
  };
}
