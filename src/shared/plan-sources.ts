/**
 * Where a tool's plan reads its models from, as its TanStack Query key names it and as the
 * plan worker gets it (the merge's, the MoE build's, the LoRA extraction's and the tokenizer
 * transplant's plans): the opened local folders the models use (in the key with their file
 * count and size, so another folder opened under the same name plans again), else the hub,
 * with this tab's token (in the key only whether one is set, never the token itself).
 */
import { localFolders, modelIdParts } from '../engine/local-files.ts';
import type { LocalFolderInfo } from '../stores/sources-slice.ts';
import type { ModelSources } from '../../workers/runtime/requests.ts';

export interface PlanSourcesInput {
  /** The model ids the plan reads (a `base+adapter` id as written). */
  readonly ids: readonly string[];
  readonly hubUrl: string;
  readonly token: string;
  /** The store's opened folders, by id. */
  readonly localFolders: Readonly<Record<string, LocalFolderInfo>>;
}

/** The query key's part for the sources: the hub, whether a token is set, the opened folders used. */
export function sourcesKey(input: PlanSourcesInput) {
  const local = [...new Set(input.ids.flatMap(modelIdParts))]
    .filter((id) => Object.hasOwn(input.localFolders, id))
    .sort()
    .map((id) => [id, input.localFolders[id]!.files, input.localFolders[id]!.bytes] as const);
  return [input.hubUrl, input.token !== '', local] as const;
}

/** The sources the plan worker reads the models from. */
export function planSources(input: Omit<PlanSourcesInput, 'localFolders'>): ModelSources {
  return {
    local: localFolders(input.ids),
    hub: { url: input.hubUrl, ...(input.token && { token: input.token }) },
  };
}
