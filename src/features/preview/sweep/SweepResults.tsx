/**
 * A sweep's results: the chart (lines for one parameter, a heatmap for two), the best point
 * against the models alone, "Apply best point", and every point as a table.
 */
import { interpolateViridis, scaleSequential } from 'd3';
import type { SweepAxes } from '../../../../workers/eval/sweep/sweep-points.ts';
import type { ModelScore, SweepPoint } from '../../../../workers/runtime/preview-api.ts';
import { Heatmap } from '../common/Heatmap.tsx';
import { SweepLineChart } from './SweepLineChart.tsx';

export interface SweepResultsProps {
  readonly axes: SweepAxes;
  readonly points: readonly SweepPoint[];
  readonly baselines: readonly ModelScore[];
  /** Set once the sweep is complete. */
  readonly best: SweepPoint | undefined;
  readonly elapsedMs: number | undefined;
  readonly onApply: (() => void) | undefined;
  readonly applied: string | undefined;
}

export function pointText(axes: SweepAxes, values: readonly number[]): string {
  return axes.map((a, i) => `${a.label} = ${values[i]}`).join(', ');
}

export function SweepResults(p: SweepResultsProps) {
  const [a, b] = p.axes;
  const bestAlone = p.baselines.reduce<ModelScore | undefined>(
    (m, x) => (!m || x.mean < m.mean ? x : m),
    undefined,
  );
  return (
    <div className="sweep-results">
      {b ? (
        <SweepGrid {...p} />
      ) : (
        <SweepLineChart
          label={a.label}
          values={a.values}
          points={p.points}
          baselines={p.baselines}
          best={p.best}
        />
      )}
      {p.best && (
        <div className="sweep-best" role="region" aria-label="Best point">
          <p>
            <strong>Best point:</strong> {pointText(p.axes, p.best.values)}: mean loss{' '}
            {p.best.mean.toFixed(4)} ({p.best.scores.map((s) => `${s.text} ${s.loss.toFixed(4)}`).join(', ')})
            {bestAlone &&
              (p.best.mean < bestAlone.mean
                ? `, better than every model alone (best alone: ${bestAlone.model}, ${bestAlone.mean.toFixed(4)}).`
                : `; ${bestAlone.model} alone does better (${bestAlone.mean.toFixed(4)}).`)}
          </p>
          {p.elapsedMs !== undefined && (
            <p className="muted">
              {p.points.length} points in {(p.elapsedMs / 1000).toFixed(1)} s, merged and evaluated in memory.
            </p>
          )}
          {p.onApply && (
            <button type="button" className="primary" onClick={p.onApply}>
              Apply best point
            </button>
          )}
          {p.applied && <p role="status">{p.applied}</p>}
        </div>
      )}
      <details>
        <summary>Every point as a table</summary>
        <table className="loss-table">
          <thead>
            <tr>
              {p.axes.map((x) => (
                <th key={x.label} scope="col">
                  {x.label}
                </th>
              ))}
              {p.points[0]?.scores.map((s) => (
                <th key={s.text} scope="col">
                  {s.text}
                </th>
              ))}
              <th scope="col">Mean</th>
            </tr>
          </thead>
          <tbody>
            {p.points.map((pt) => (
              <tr key={pt.index.join(',')} className={pt === p.best ? 'best' : undefined}>
                {pt.values.map((v, i) => (
                  <td key={i}>{v}</td>
                ))}
                {pt.scores.map((s) => (
                  <td key={s.text}>{s.loss.toFixed(4)}</td>
                ))}
                <td>{pt.mean.toFixed(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}

function SweepGrid(p: SweepResultsProps) {
  const [a, b] = p.axes as readonly [SweepAxes[0], NonNullable<SweepAxes[1]>];
  const at = new Map(p.points.map((pt) => [pt.index.join(','), pt]));
  const means = p.points.map((pt) => pt.mean);
  const lo = Math.min(...means);
  const hi = Math.max(...means);
  // Lowest loss brightest (viridis' yellow end).
  const colour = scaleSequential(interpolateViridis).domain([hi, lo === hi ? hi - 1 : lo]);
  return (
    <Heatmap
      label={`Mean loss over ${a.label} (rows) and ${b.label} (columns)`}
      rows={a.values.map(String)}
      cols={b.values.map(String)}
      rowTitle={a.label}
      colTitle={b.label}
      value={(r, c) => at.get(`${r},${c}`)?.mean ?? null}
      colour={colour}
      format={(v) => v.toFixed(3)}
      describe={(r, c) => {
        const pt = at.get(`${r},${c}`);
        if (!pt) return [`${a.label} = ${a.values[r]}, ${b.label} = ${b.values[c]}: not evaluated yet`];
        const texts = pt.scores.map((s) => `${s.text} ${s.loss.toFixed(4)}`);
        return [pointText(p.axes, pt.values), `mean ${pt.mean.toFixed(4)}`, ...texts];
      }}
      {...(p.best && { highlight: [p.best.index[0]!, p.best.index[1]!] as const })}
      legend={{ domain: [hi, lo], format: (v) => v.toFixed(3) }}
    />
  );
}
