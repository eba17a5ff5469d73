/**
 * The norm of LERP(t) and SLERP(t) against t. For unit vectors LERP dips to cos(theta / 2) at
 * t = 0.5 while SLERP stays at 1; for real tensors of different norms SLERP moves smoothly
 * between them. The y axis starts at 0 for the toy and zooms to the curves for real tensors,
 * where the dip is a fraction of a percent.
 */
import { line, scaleLinear } from 'd3';
import type { NormSample } from '../sphere-geometry.ts';
import { AxisBottom, AxisLeft } from '../common/Axes.tsx';

const W = 380;
const H = 240;
const M = { top: 30, right: 16, bottom: 44, left: 58 };

export interface NormChartProps {
  readonly curve: readonly NormSample[];
  readonly t: number;
  readonly lerpNorm: number;
  readonly slerpNorm: number;
  /** The recipe's t, drawn as a marker when it is a number. */
  readonly recipeT: number | undefined;
  /** Start the axis at 0 (toy) or zoom to the data (real tensors). */
  readonly fromZero: boolean;
  /** A reference level with its label: cos(theta / 2) for the toy. */
  readonly reference?: { readonly value: number; readonly label: string } | undefined;
  readonly label: string;
}

export function NormChart(p: NormChartProps) {
  const values = p.curve.flatMap((s) => [s.lerp, s.slerp]);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo) * 0.15 || hi * 0.01 || 0.1;
  const x = scaleLinear()
    .domain([0, 1])
    .range([M.left, W - M.right]);
  const y = scaleLinear()
    .domain(p.fromZero ? [0, Math.max(1.05, hi * 1.05)] : [lo - pad, hi + pad])
    .range([H - M.bottom, M.top])
    .nice();
  const path = (key: 'lerp' | 'slerp') =>
    line<NormSample>()
      .x((s) => x(s.t))
      .y((s) => y(s[key]))(p.curve as NormSample[]) ?? '';
  return (
    <svg className="vis-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={p.label}>
      <AxisLeft scale={y} x={M.left} ticks={5} label="norm of the result" />
      <AxisBottom scale={x} y={H - M.bottom} ticks={5} label="t" />
      {p.reference && (
        <g className="vis-reference">
          <line x1={M.left} x2={W - M.right} y1={y(p.reference.value)} y2={y(p.reference.value)} />
          <text x={W - M.right - 4} y={y(p.reference.value) + 14} textAnchor="end">
            {p.reference.label}
          </text>
        </g>
      )}
      {p.recipeT !== undefined && p.recipeT >= 0 && p.recipeT <= 1 && (
        <g className="vis-recipe-mark">
          <line x1={x(p.recipeT)} x2={x(p.recipeT)} y1={M.top} y2={H - M.bottom} />
          <text x={x(p.recipeT) + 4} y={H - M.bottom - 6}>
            recipe
          </text>
        </g>
      )}
      <line className="vis-t-mark" x1={x(p.t)} x2={x(p.t)} y1={M.top} y2={H - M.bottom} />
      <path className="vis-curve lerp" d={path('lerp')} />
      <path className="vis-curve slerp" d={path('slerp')} />
      <circle data-point="lerp-norm" className="vis-lerp" cx={x(p.t)} cy={y(p.lerpNorm)} r={5} />
      <circle data-point="slerp-norm" className="vis-slerp" cx={x(p.t)} cy={y(p.slerpNorm)} r={5} />
      <g className="vis-legend" transform={`translate(${M.left},12)`}>
        <line className="vis-curve slerp" x2={18} />
        <text x={24} dy="0.32em">
          SLERP (arc)
        </text>
        <line className="vis-curve lerp" x1={110} x2={128} />
        <text x={134} dy="0.32em">
          LERP (chord)
        </text>
      </g>
    </svg>
  );
}
