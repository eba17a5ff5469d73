/**
 * The TanStack Query options for the Extract LoRA preview. The key names everything the plan
 * reads: the two models, the options, and where the models come from
 * (../../shared/plan-sources.ts). The plan runs in the page's plan worker
 * (engine/merge-client.ts), from the headers it keeps; the signal stops a superseded one.
 */
import { planLora } from '../../engine/merge-client.ts';
import { planSources, sourcesKey, type PlanSourcesInput } from '../../shared/plan-sources.ts';
import type { LoraExtractOptions } from '../../../workers/runtime/requests.ts';

export interface LoraPlanInput extends Omit<PlanSourcesInput, 'ids'> {
  readonly model: string;
  readonly base: string;
  readonly options: LoraExtractOptions;
}

export function loraPlanQuery(input: LoraPlanInput) {
  const where = { ...input, ids: [input.model, input.base] };
  return {
    queryKey: ['lora-plan', input.model, input.base, input.options, ...sourcesKey(where)] as const,
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      planLora(
        { model: input.model, base: input.base, options: input.options, sources: planSources(where) },
        signal,
      ),
    staleTime: 60_000,
    retry: false,
  };
}
