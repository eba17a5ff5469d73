/**
 * How far the merge moved each layer from the base: the mean of ||out - base|| / ||base|| over
 * the layer's tensors (or the output norm when the method has no base). d3 computes the scales;
 * React draws.
 */
import { max, scaleBand, scaleLinear } from 'd3';
import type { TensorChange } from '../../../workers/protocol.ts';

const W = 420;
const H = 160;
const M = { top: 10, right: 10, bottom: 28, left: 52 };

export function ChangeChart({ changes }: { readonly changes: readonly TensorChange[] }) {
  const relative = changes.some((c) => c.relativeChange !== undefined);
  const byLayer = new Map<number, number[]>();
  for (const c of changes) {
    if (c.layer === undefined) continue;
    const v = relative ? (c.relativeChange ?? 0) : c.norm;
    byLayer.set(c.layer, [...(byLayer.get(c.layer) ?? []), v]);
  }
  const rows = [...byLayer]
    .sort((a, b) => a[0] - b[0])
    .map(([layer, vs]) => ({ layer, v: vs.reduce((s, x) => s + x, 0) / vs.length }));
  if (rows.length === 0) return null;
  const x = scaleBand<number>()
    .domain(rows.map((r) => r.layer))
    .range([M.left, W - M.right])
    .padding(0.15);
  const y = scaleLinear()
    .domain([0, max(rows, (r) => r.v) ?? 1])
    .nice()
    .range([H - M.bottom, M.top]);
  const ticks = y.ticks(4);
  // One precision for every tick, from the scale ("0%", "5%", "10%"; not "0.0%" and "10%").
  const tickLabel = y.tickFormat(4, relative ? '%' : undefined);
  const label = relative ? 'relative change from the base' : 'output norm';
  const every = Math.ceil(rows.length / 16);
  return (
    <figure className="change-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Per-layer ${label}`}>
        {ticks.map((t) => (
          <g key={t} transform={`translate(0,${y(t)})`}>
            <line x1={M.left} x2={W - M.right} stroke="#e3e6ee" />
            <text x={M.left - 6} dy="0.32em" textAnchor="end" fontSize={10}>
              {tickLabel(t)}
            </text>
          </g>
        ))}
        {rows.map((r) => (
          <rect
            key={r.layer}
            x={x(r.layer)}
            y={y(r.v)}
            width={x.bandwidth()}
            height={H - M.bottom - y(r.v)}
            fill="#4f7cff"
          >
            <title>{`layer ${r.layer}: ${relative ? `${(r.v * 100).toFixed(3)}%` : r.v.toFixed(4)}`}</title>
          </rect>
        ))}
        {rows
          .filter((_, i) => i % every === 0)
          .map((r) => (
            <text
              key={r.layer}
              x={(x(r.layer) ?? 0) + x.bandwidth() / 2}
              y={H - M.bottom + 14}
              textAnchor="middle"
              fontSize={10}
            >
              {r.layer}
            </text>
          ))}
      </svg>
      <figcaption>Per layer: {label} (mean over the layer’s tensors)</figcaption>
    </figure>
  );
}
