/**
 * The DARE / DELLA charts: histograms of the task vector before and of the survivors after
 * the drop and rescale; each entry's value against its mean over many seeds (on the diagonal
 * when the delta is preserved in expectation); and how often entries survive by magnitude rank.
 */
import { max, scaleLinear } from 'd3';
import type { DropKind, SharedBin } from '../dare-steps.ts';
import { AxisBottom, AxisLeft } from '../common/Axes.tsx';

const W = 360;
const H = 220;
const M = { top: 26, right: 12, bottom: 44, left: 54 };
const fmt = (v: number) =>
  Math.abs(v) >= 0.01 || v === 0 ? String(Number(v.toPrecision(2))) : v.toExponential(0);

export function DropHistogram({
  bins,
  label,
}: {
  readonly bins: readonly SharedBin[];
  readonly label: string;
}) {
  if (bins.length === 0) return null;
  const x = scaleLinear()
    .domain([bins[0]!.x0, bins[bins.length - 1]!.x1])
    .range([M.left, W - M.right]);
  const y = scaleLinear()
    .domain([0, max(bins, (b) => Math.max(b.before, b.after)) ?? 1])
    .nice()
    .range([H - M.bottom, M.top]);
  return (
    <svg className="vis-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <AxisLeft scale={y} x={M.left} ticks={4} label="entries" />
      <AxisBottom scale={x} y={H - M.bottom} ticks={5} format={fmt} label="value of the entry" />
      {bins.map((b) => (
        <g key={b.x0}>
          <rect
            className="vis-bar before"
            x={x(b.x0)}
            y={y(b.before)}
            width={Math.max(0, x(b.x1) - x(b.x0) - 1)}
            height={H - M.bottom - y(b.before)}
          />
          <rect
            className="vis-bar after"
            x={x(b.x0) + 1}
            y={y(b.after)}
            width={Math.max(0, x(b.x1) - x(b.x0) - 3)}
            height={H - M.bottom - y(b.after)}
          />
        </g>
      ))}
      <g className="vis-legend" transform={`translate(${M.left},10)`}>
        <rect className="vis-bar before" width={12} height={10} y={-5} />
        <text x={16} dy="0.32em">
          before
        </text>
        <rect className="vis-bar after" x={80} width={12} height={10} y={-5} />
        <text x={96} dy="0.32em">
          survivors, rescaled
        </text>
      </g>
    </svg>
  );
}

export function ExpectationChart(p: {
  readonly before: Float32Array;
  readonly once: Float32Array;
  readonly mean: Float64Array;
  readonly seeds: number;
  readonly label: string;
}) {
  const lim = Math.max(1e-12, ...Array.from(p.before, Math.abs), ...Array.from(p.once, Math.abs)) * 1.05;
  const x = scaleLinear()
    .domain([-lim, lim])
    .range([M.left, W - M.right])
    .nice();
  const y = scaleLinear()
    .domain([-lim, lim])
    .range([H - M.bottom, M.top])
    .nice();
  const [d0, d1] = x.domain() as [number, number];
  return (
    <svg className="vis-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={p.label}>
      <AxisLeft scale={y} x={M.left} ticks={4} format={fmt} label="after" />
      <AxisBottom scale={x} y={H - M.bottom} ticks={4} format={fmt} label="before" />
      <line className="vis-diagonal" x1={x(d0)} y1={y(d0)} x2={x(d1)} y2={y(d1)} />
      {Array.from(p.before, (b, i) => (
        <circle key={`o${i}`} className="vis-dot once" cx={x(b)} cy={y(p.once[i]!)} r={2} />
      ))}
      {Array.from(p.before, (b, i) => (
        <circle key={`m${i}`} className="vis-dot mean" cx={x(b)} cy={y(p.mean[i]!)} r={2.2} />
      ))}
      <g className="vis-legend" transform={`translate(${M.left},10)`}>
        <circle className="vis-dot once" r={3} cx={5} />
        <text x={12} dy="0.32em">
          one seed
        </text>
        <circle className="vis-dot mean" r={3} cx={95} />
        <text x={102} dy="0.32em">
          mean of {p.seeds} seeds
        </text>
      </g>
    </svg>
  );
}

export function KeepRateChart(p: {
  readonly rates: Float64Array;
  readonly kind: DropKind;
  readonly density: number;
  readonly epsilon: number;
  readonly label: string;
}) {
  const n = p.rates.length;
  const x = scaleLinear()
    .domain([0, n])
    .range([M.left, W - M.right]);
  const y = scaleLinear()
    .domain([0, 1])
    .range([H - M.bottom, M.top]);
  const eps = p.kind === 'della' ? p.epsilon : 0;
  return (
    <svg className="vis-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={p.label}>
      <AxisLeft scale={y} x={M.left} ticks={5} label="kept" format={(v) => `${Math.round(v * 100)}%`} />
      <g className="vis-axis" aria-hidden="true">
        <line x1={x(0)} x2={x(n)} y1={H - M.bottom} y2={H - M.bottom} />
        <text x={x(0)} y={H - M.bottom + 15}>
          smallest
        </text>
        <text x={x(n)} y={H - M.bottom + 15} textAnchor="end">
          largest
        </text>
        <text className="vis-axis-label" x={(x(0) + x(n)) / 2} y={H - M.bottom + 30} textAnchor="middle">
          magnitude rank within its row
        </text>
      </g>
      {Array.from(p.rates, (r, i) => (
        <rect
          key={i}
          className="vis-bar after"
          x={x(i) + 1}
          y={y(r)}
          width={Math.max(0, x(i + 1) - x(i) - 2)}
          height={H - M.bottom - y(r)}
        />
      ))}
      <line
        className="vis-reference-line"
        x1={x(0)}
        x2={x(n)}
        y1={y(p.density - eps)}
        y2={y(p.density + eps)}
      />
      <text className="vis-reference-text" x={W - M.right} y={M.top - 8} textAnchor="end">
        {p.kind === 'della'
          ? `density ± epsilon: ${fmt(p.density - eps)} to ${fmt(p.density + eps)}`
          : `density ${fmt(p.density)}`}
      </text>
    </svg>
  );
}
