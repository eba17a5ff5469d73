/** One checkbox per model: which of them a preview task includes. */
export function ModelChecks({
  ids,
  skipped,
  onChange,
}: {
  ids: readonly string[];
  skipped: ReadonlySet<string>;
  onChange: (skipped: ReadonlySet<string>) => void;
}) {
  return ids.map((m) => (
    <label key={m}>
      <input
        type="checkbox"
        checked={!skipped.has(m)}
        onChange={(e) => {
          const next = new Set(skipped);
          if (e.target.checked) next.delete(m);
          else next.add(m);
          onChange(next);
        }}
      />{' '}
      {m}
    </label>
  ));
}
