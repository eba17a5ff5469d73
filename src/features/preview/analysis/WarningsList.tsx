/** The analysis's warnings (known failure signs) and notes, each with the numbers behind it. */
import type { AnalysisWarning } from '../../../../workers/analysis/types.ts';

export function WarningsList({ warnings }: { readonly warnings: readonly AnalysisWarning[] }) {
  if (warnings.length === 0)
    return <p className="analysis-ok">No known failure signs in the analysed tensors.</p>;
  const sorted = [...warnings].sort((a, b) =>
    a.severity === b.severity ? 0 : a.severity === 'warning' ? -1 : 1,
  );
  return (
    <ul className="analysis-warnings" aria-label="Analysis warnings">
      {sorted.map((w, i) => (
        <li key={i} className={w.severity}>
          <strong>{w.severity === 'warning' ? 'Warning' : 'Note'}:</strong> {w.message}
        </li>
      ))}
    </ul>
  );
}
