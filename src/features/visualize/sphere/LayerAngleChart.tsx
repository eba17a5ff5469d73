/** The angle between the two models per layer, for one kind of tensor (bars; LERP fallbacks marked). */
import { max, scaleBand, scaleLinear } from 'd3';
import type { LayerAngle } from '../layer-angles.ts';
import { AxisLeft } from '../common/Axes.tsx';

const W = 380;
const H = 180;
const M = { top: 12, right: 12, bottom: 40, left: 58 };

export function LayerAngleChart({
  angles,
  suffix,
}: {
  readonly angles: readonly LayerAngle[];
  readonly suffix: string;
}) {
  const x = scaleBand<number>()
    .domain(angles.map((a) => a.layer))
    .range([M.left, W - M.right])
    .padding(0.2);
  const y = scaleLinear()
    .domain([0, max(angles, (a) => a.degrees) ?? 1])
    .nice()
    .range([H - M.bottom, M.top]);
  const every = Math.ceil(angles.length / 16);
  const widest = angles.reduce<LayerAngle | undefined>(
    (w, a) => (!w || a.degrees > w.degrees ? a : w),
    undefined,
  );
  const label =
    `Angle between the two models per layer for ${suffix}: ` +
    angles.map((a) => `layer ${a.layer} ${a.degrees.toFixed(2)}°`).join(', ') +
    (widest ? `. Widest at layer ${widest.layer}.` : '.');
  return (
    <svg className="vis-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <AxisLeft scale={y} x={M.left} ticks={4} format={(v) => `${v}°`} label="angle" />
      {angles.map((a) => (
        <rect
          key={a.layer}
          className={a.fallsBackToLerp ? 'vis-bar fallback' : 'vis-bar'}
          x={x(a.layer)}
          y={y(a.degrees)}
          width={x.bandwidth()}
          height={H - M.bottom - y(a.degrees)}
        >
          <title>
            layer {a.layer}: {a.degrees.toFixed(3)}°{a.fallsBackToLerp ? ' (SLERP falls back to LERP)' : ''}
          </title>
        </rect>
      ))}
      {angles
        .filter((_, i) => i % every === 0)
        .map((a) => (
          <text
            key={a.layer}
            className="vis-tick"
            x={(x(a.layer) ?? 0) + x.bandwidth() / 2}
            y={H - M.bottom + 14}
            textAnchor="middle"
          >
            {a.layer}
          </text>
        ))}
      <text className="vis-axis-label" x={(M.left + W - M.right) / 2} y={H - 6} textAnchor="middle">
        layer
      </text>
    </svg>
  );
}
