/**
 * The TanStack Query options for the MoE preview (what a build of the form's config writes).
 * The key names everything the plan reads: the config text, the largest shard, and where the
 * config's models come from (../../shared/plan-sources.ts). The plan runs in the page's plan
 * worker (engine/merge-client.ts), from the headers it keeps; the signal stops a superseded one.
 */
import { planMoe } from '../../engine/merge-client.ts';
import { planSources, sourcesKey, type PlanSourcesInput } from '../../shared/plan-sources.ts';

export interface MoePlanInput extends PlanSourcesInput {
  readonly configText: string;
  readonly maxShardBytes: number;
}

export function moePlanQuery(input: MoePlanInput) {
  return {
    queryKey: ['moe-plan', input.configText, input.maxShardBytes, ...sourcesKey(input)] as const,
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      planMoe(
        { configText: input.configText, maxShardBytes: input.maxShardBytes, sources: planSources(input) },
        signal,
      ),
    staleTime: 60_000,
    retry: false,
  };
}
