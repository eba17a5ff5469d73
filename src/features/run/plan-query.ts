/**
 * The TanStack Query options for the Run panel's plan (what the merge will write, and its
 * warnings). The key names everything the plan reads: the recipe text and where its models
 * come from (../../shared/plan-sources.ts). The plan runs in the page's plan worker
 * (engine/merge-client.ts); the signal stops a superseded one there.
 */
import { planMerge } from '../../engine/merge-client.ts';
import { planSources, sourcesKey, type PlanSourcesInput } from '../../shared/plan-sources.ts';

export interface PlanInput extends PlanSourcesInput {
  readonly recipeText: string;
}

export function planQuery(input: PlanInput) {
  return {
    queryKey: ['merge-plan', input.recipeText, ...sourcesKey(input)] as const,
    queryFn: ({ signal }: { signal: AbortSignal }) => planMerge(input.recipeText, planSources(input), signal),
    staleTime: 60_000,
    retry: false,
  };
}
