/**
 * A plan as you edit, for the merge's, the MoE build's and the extraction's "Plan" sections:
 * the query runs once its inputs have stayed the same for PLAN_DEBOUNCE_MS and the tool is
 * ready, and the last plan stays on screen (marked as updating) while the next one is waited
 * for, so the section does not flicker back to "Reading…" at each edit.
 */
import { keepPreviousData, useQuery, type QueryKey } from '@tanstack/react-query';
import { useDebounced } from './use-debounced.ts';

/** Quiet time after the last edit before planning: a slider drag, a typed pattern or prompt plans once, at its end. */
const PLAN_DEBOUNCE_MS = 500;

/** What the tools' plan-query files return. */
export interface PlanQueryOptions<T, K extends QueryKey> {
  readonly queryKey: K;
  readonly queryFn: (context: { signal: AbortSignal }) => Promise<T>;
  readonly staleTime: number;
  readonly retry: boolean;
}

/** The query, and whether the plan shown is about to change (the section's aria-busy). */
export function usePlanQuery<T, K extends QueryKey>(options: PlanQueryOptions<T, K>, ready: boolean) {
  // The key as text: a new array with the same contents is the same plan.
  const key = JSON.stringify(options.queryKey);
  const settled = useDebounced(key, PLAN_DEBOUNCE_MS) === key;
  const plan = useQuery({ ...options, enabled: ready && settled, placeholderData: keepPreviousData });
  return { plan, updating: ready && (!settled || plan.isFetching) };
}
