/**
 * The TanStack Query options for the Run panel's plan (what the merge will write, and its
 * warnings). The key names everything the plan reads: the recipe text, the hub, whether a token
 * is set (never the token itself), and the opened local folders the recipe uses (with their file
 * count and size, so opening another folder under the same name plans again). The plan runs in
 * the page's plan worker (engine/merge-client.ts); the signal stops a superseded one there.
 */
import { localFolders, modelIdParts } from '../../engine/local-files.ts';
import { planMerge } from '../../engine/merge-client.ts';
import type { LocalFolderInfo } from '../../stores/sources-slice.ts';

export interface PlanInput {
  readonly recipeText: string;
  /** The recipe's model ids (a `base+adapter` id included as written). */
  readonly ids: readonly string[];
  readonly hubUrl: string;
  readonly token: string;
  /** The store's opened folders, by id. */
  readonly localFolders: Readonly<Record<string, LocalFolderInfo>>;
}

export function planQuery(input: PlanInput) {
  const local = [...new Set(input.ids.flatMap(modelIdParts))]
    .filter((id) => Object.hasOwn(input.localFolders, id))
    .sort()
    .map((id) => [id, input.localFolders[id]!.files, input.localFolders[id]!.bytes] as const);
  return {
    queryKey: ['merge-plan', input.recipeText, input.hubUrl, input.token !== '', local] as const,
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      planMerge(
        input.recipeText,
        {
          local: localFolders(input.ids),
          hub: { url: input.hubUrl, ...(input.token && { token: input.token }) },
        },
        signal,
      ),
    staleTime: 60_000,
    retry: false,
  };
}
