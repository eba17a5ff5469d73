/** Losses per model and text, the mean and its perplexity; the best row marked. */
import type { EvalRow } from '../../../../workers/runtime/preview-api.ts';

export function LossTable({
  rows,
  caption,
}: {
  readonly rows: readonly EvalRow[];
  readonly caption: string;
}) {
  const texts = rows[0]?.scores.map((s) => s.text) ?? [];
  const best = rows.reduce<EvalRow | undefined>(
    (a, r) => (a === undefined || r.mean < a.mean ? r : a),
    undefined,
  );
  return (
    <table className="loss-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Model</th>
          {texts.map((t) => (
            <th key={t} scope="col">
              {t}
            </th>
          ))}
          <th scope="col">Mean</th>
          <th scope="col">Perplexity</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.label} className={r === best ? 'best' : undefined}>
            <th scope="row">
              {r.kind === 'merge' ? 'Merge of the current recipe' : r.label}
              {r === best && rows.length > 1 && <span className="badge base">best</span>}
            </th>
            {r.scores.map((s) => (
              <td key={s.text} title={`${s.windows} of ${s.availableWindows} windows`}>
                {s.loss.toFixed(4)}
              </td>
            ))}
            <td>{r.mean.toFixed(4)}</td>
            <td>{Math.exp(r.mean).toFixed(2)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
