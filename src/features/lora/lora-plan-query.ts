/**
 * The TanStack Query options for the Extract LoRA preview. The key names everything the plan
 * reads: the two models, the options, the hub, whether a token is set (never the token
 * itself), and the opened local folders the models use (with their file count and size, so
 * another folder opened under the same name plans again). The plan runs in the page's plan
 * worker (engine/merge-client.ts), from the headers it keeps; the signal stops a superseded one.
 */
import { localFolders, modelIdParts } from '../../engine/local-files.ts';
import { planLora } from '../../engine/merge-client.ts';
import type { LocalFolderInfo } from '../../stores/sources-slice.ts';
import type { LoraExtractOptions } from '../../../workers/runtime/requests.ts';

export interface LoraPlanInput {
  readonly model: string;
  readonly base: string;
  readonly options: LoraExtractOptions;
  readonly hubUrl: string;
  readonly token: string;
  /** The store's opened folders, by id. */
  readonly localFolders: Readonly<Record<string, LocalFolderInfo>>;
}

export function loraPlanQuery(input: LoraPlanInput) {
  const ids = [input.model, input.base];
  const local = [...new Set(ids.flatMap(modelIdParts))]
    .filter((id) => Object.hasOwn(input.localFolders, id))
    .sort()
    .map((id) => [id, input.localFolders[id]!.files, input.localFolders[id]!.bytes] as const);
  return {
    queryKey: [
      'lora-plan',
      input.model,
      input.base,
      input.options,
      input.hubUrl,
      input.token !== '',
      local,
    ] as const,
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      planLora(
        {
          model: input.model,
          base: input.base,
          options: input.options,
          sources: {
            local: localFolders(ids),
            hub: { url: input.hubUrl, ...(input.token && { token: input.token }) },
          },
        },
        signal,
      ),
    staleTime: 60_000,
    retry: false,
  };
}
