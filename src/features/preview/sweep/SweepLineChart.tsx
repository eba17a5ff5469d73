/**
 * A one-parameter sweep as lines: the mean loss (bold), each text's loss (thin), the models on
 * their own as dashed levels, and the best point marked. Points appear as they are evaluated.
 * d3 computes the scales and paths; React draws.
 */
import { extent, line, scaleLinear, schemeTableau10 } from 'd3';
import type { ModelScore, SweepPoint } from '../../../../workers/runtime/preview-api.ts';
import { spreadLabels } from './chart-layout.ts';

const W = 640;
const H = 300;
const M = { top: 16, right: 150, bottom: 40, left: 56 };

export interface SweepLineChartProps {
  readonly label: string;
  readonly values: readonly number[];
  readonly points: readonly SweepPoint[];
  readonly baselines: readonly ModelScore[];
  readonly best: SweepPoint | undefined;
}

export function SweepLineChart(p: SweepLineChartProps) {
  const texts = p.points[0]?.scores.map((s) => s.text) ?? [];
  const ys = [
    ...p.points.flatMap((pt) => [pt.mean, ...pt.scores.map((s) => s.loss)]),
    ...p.baselines.map((b) => b.mean),
  ];
  const [y0, y1] = extent(ys);
  const x = scaleLinear()
    .domain(extent(p.values) as [number, number])
    .range([M.left, W - M.right]);
  const y = scaleLinear()
    .domain([y0 ?? 0, y1 ?? 1])
    .nice()
    .range([H - M.bottom, M.top]);
  const path = (get: (pt: SweepPoint) => number): string =>
    line<SweepPoint>()
      .x((pt) => x(pt.values[0]!))
      .y((pt) => y(get(pt)))(p.points as SweepPoint[]) ?? '';
  const labelY = spreadLabels(p.baselines.map((b) => y(b.mean)));
  const best = p.best;
  const summary = best
    ? `Mean loss over ${p.label}: lowest ${best.mean.toFixed(3)} at ${best.values[0]}`
    : `Mean loss over ${p.label}`;
  return (
    <figure className="sweep-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        {y.ticks(5).map((t) => (
          <g key={t} transform={`translate(0,${y(t)})`}>
            <line x1={M.left} x2={W - M.right} className="grid-line" />
            <text x={M.left - 6} dy="0.32em" textAnchor="end" className="tick">
              {t.toFixed(2)}
            </text>
          </g>
        ))}
        {p.values.map((v) => (
          <text key={v} x={x(v)} y={H - M.bottom + 16} textAnchor="middle" className="tick">
            {v}
          </text>
        ))}
        <text x={(M.left + W - M.right) / 2} y={H - 6} textAnchor="middle" className="axis-title">
          {p.label}
        </text>
        <text
          transform={`translate(14,${(H - M.bottom + M.top) / 2}) rotate(-90)`}
          textAnchor="middle"
          className="axis-title"
        >
          loss (nats per token)
        </text>
        {p.baselines.map((b, k) => (
          <g key={b.model} className="baseline">
            <line x1={M.left} x2={W - M.right} y1={y(b.mean)} y2={y(b.mean)} />
            <text x={W - M.right + 4} y={labelY[k]} dy="0.32em">
              {b.model} alone
            </text>
          </g>
        ))}
        {texts.map((t, k) => (
          <path
            key={t}
            d={path((pt) => pt.scores[k]!.loss)}
            className="text-line"
            stroke={schemeTableau10[(k + 1) % 10]}
          />
        ))}
        <path d={path((pt) => pt.mean)} className="mean-line" />
        {p.points.map((pt) => (
          <circle key={pt.values[0]} cx={x(pt.values[0]!)} cy={y(pt.mean)} r={3} className="mean-dot">
            <title>
              {p.label} = {pt.values[0]}: mean {pt.mean.toFixed(4)} (
              {pt.scores.map((s) => `${s.text} ${s.loss.toFixed(4)}`).join(', ')})
            </title>
          </circle>
        ))}
        {best && (
          <g className="best-mark" transform={`translate(${x(best.values[0]!)},${y(best.mean)})`}>
            <circle r={7} />
            <text y={-12} textAnchor="middle">
              best
            </text>
          </g>
        )}
      </svg>
      <figcaption className="chart-legend">
        <span className="key mean">mean of the texts</span>
        {texts.map((t, k) => (
          <span key={t} className="key" style={{ borderColor: schemeTableau10[(k + 1) % 10] }}>
            {t}
          </span>
        ))}
        {p.baselines.length > 0 && <span className="key baseline">a model alone (mean)</span>}
      </figcaption>
    </figure>
  );
}
