/**
 * The "Plan" section the merge, the MoE build and the extraction show before they run, in its
 * states: waiting for the tool's inputs (when the tool says why), the plan's error, reading the
 * models' headers, and the plan itself, which the tool renders. Errors and lists quote model
 * ids, module and token text from users and the Hub: text only, never HTML.
 */
import { useId, type ReactNode } from 'react';

export function PlanSection<T>({
  what,
  updating,
  waiting,
  error,
  plan,
  children,
}: {
  /** What is planned: "merge" gives "Cannot plan this merge: …". */
  readonly what: string;
  /** A plan is due that may differ from the one shown (aria-busy). */
  readonly updating: boolean;
  /** Why there is no plan yet, in place of one; undefined once the tool is ready. */
  readonly waiting?: string | undefined;
  readonly error: string | undefined;
  readonly plan: T | undefined;
  readonly children: (plan: T) => ReactNode;
}) {
  const id = useId();
  return (
    <section className="plan-summary" aria-labelledby={`${id}-t`} aria-busy={updating}>
      <h3 id={`${id}-t`}>Plan</h3>
      {waiting !== undefined ? (
        <p className="muted">{waiting}</p>
      ) : error !== undefined ? (
        // No alert role: it would interrupt a screen reader at each pause in typing.
        <p className="field-error">
          Cannot plan this {what}: {shortMessage(error)}
        </p>
      ) : plan === undefined ? (
        <p className="muted">Reading the models’ headers…</p>
      ) : (
        children(plan)
      )}
    </section>
  );
}

/** A plan's warnings or notes as a labelled list; nothing when there are none. */
export function PlanList({ label, items }: { readonly label: string; readonly items: readonly string[] }) {
  if (items.length === 0) return null;
  return (
    <ul className="plan-warnings" aria-label={label}>
      {items.map((w, i) => (
        <li key={i}>{w}</li>
      ))}
    </ul>
  );
}

/** The first line of an error (a RecipeError lists every problem), at most 300 characters. */
function shortMessage(message: string): string {
  const line = message.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}
