/**
 * The TanStack Query options for the tokenizer transplant preview. The key names everything the
 * plan reads: the two models, the options, and where the models come from
 * (../../shared/plan-sources.ts). The plan runs in the page's plan worker
 * (engine/merge-client.ts), from the headers and vocabularies it keeps; the signal stops a
 * superseded one.
 */
import { planTokenSurgeon } from '../../engine/merge-client.ts';
import { planSources, sourcesKey, type PlanSourcesInput } from '../../shared/plan-sources.ts';
import type { SurgeryOptions } from '../../../workers/tokensurgeon/run-tokensurgeon.ts';

export interface SurgeryPlanInput extends Omit<PlanSourcesInput, 'ids'> {
  readonly model: string;
  readonly donor: string;
  readonly options: SurgeryOptions;
}

export function surgeryPlanQuery(input: SurgeryPlanInput) {
  const where = { ...input, ids: [input.model, input.donor] };
  return {
    queryKey: ['tokensurgeon-plan', input.model, input.donor, input.options, ...sourcesKey(where)] as const,
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      planTokenSurgeon(
        { model: input.model, donor: input.donor, options: input.options, sources: planSources(where) },
        signal,
      ),
    staleTime: 60_000,
    retry: false,
  };
}
