/**
 * The "Apply LoRA adapter…" box's text, read as mergekit reads `base+adapter` references: the
 * model's id gains `+adapter`, and the whole id must pass the recipe validator's own check
 * (workers/plan/validate-common.ts modelRef: one `+`, both parts non-empty, at most one `@`
 * in each), so the box accepts exactly what the YAML would.
 */
import { modelRef } from '../../../workers/plan/validate-common.ts';

export interface AdapterParts {
  readonly base: string;
  readonly adapter: string;
}

/** The base and adapter of a `base+adapter` id; undefined for a plain id or a malformed one. */
export function adapterParts(id: string): AdapterParts | undefined {
  const parts = id.split('+');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return undefined;
  return { base: parts[0]!, adapter: parts[1]! };
}

/** The id of `model` with the adapter typed as `text` (spaces around it dropped). */
export function withAdapter(model: string, text: string): string {
  return `${model}+${text.trim()}`;
}

/**
 * What is wrong with applying the adapter typed as `text` to `model`, in the validator's words;
 * undefined when it can be applied. `taken`: the ids in the recipe (the new id must not be one).
 */
export function adapterProblem(model: string, text: string, taken: readonly string[]): string | undefined {
  if (text.trim() === '') return 'name an adapter: a Hub repo (org/name) or an adapter folder you opened';
  const id = withAdapter(model, text);
  let problem: string | undefined;
  modelRef(id, [], (_path, message) => (problem ??= message));
  if (problem !== undefined) return problem;
  if (taken.includes(id)) return `${id} is in the merge already`;
  return undefined;
}
