/** Axes drawn by React from d3 scales (ticks computed by d3, no DOM effects). */
import type { ScaleLinear } from 'd3';

export function AxisBottom(p: {
  readonly scale: ScaleLinear<number, number>;
  readonly y: number;
  readonly ticks?: number;
  readonly format?: (v: number) => string;
  readonly label?: string;
}) {
  const [x0, x1] = p.scale.range() as [number, number];
  const fmt = p.format ?? p.scale.tickFormat(p.ticks ?? 5);
  return (
    <g className="vis-axis" aria-hidden="true">
      <line x1={x0} x2={x1} y1={p.y} y2={p.y} />
      {p.scale.ticks(p.ticks ?? 5).map((t) => (
        <g key={t} transform={`translate(${p.scale(t)},${p.y})`}>
          <line y2={4} />
          <text y={15} textAnchor="middle">
            {fmt(t)}
          </text>
        </g>
      ))}
      {p.label && (
        <text className="vis-axis-label" x={(x0 + x1) / 2} y={p.y + 30} textAnchor="middle">
          {p.label}
        </text>
      )}
    </g>
  );
}

export function AxisLeft(p: {
  readonly scale: ScaleLinear<number, number>;
  readonly x: number;
  readonly ticks?: number;
  readonly format?: (v: number) => string;
  readonly label?: string;
}) {
  const [y0, y1] = p.scale.range() as [number, number];
  const fmt = p.format ?? p.scale.tickFormat(p.ticks ?? 5);
  return (
    <g className="vis-axis" aria-hidden="true">
      <line x1={p.x} x2={p.x} y1={y0} y2={y1} />
      {p.scale.ticks(p.ticks ?? 5).map((t) => (
        <g key={t} transform={`translate(${p.x},${p.scale(t)})`}>
          <line x2={-4} />
          <text x={-7} dy="0.32em" textAnchor="end">
            {fmt(t)}
          </text>
        </g>
      ))}
      {p.label && (
        <text
          className="vis-axis-label"
          transform={`translate(${p.x - 44},${(y0 + y1) / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          {p.label}
        </text>
      )}
    </g>
  );
}
