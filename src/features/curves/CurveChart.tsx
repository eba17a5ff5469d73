/**
 * The curves over the layers: every curve as a line (the active one bold, with its resolved
 * value at each layer as dots) and the active curve's anchors as handles. Handles are sliders
 * for assistive technology and the keyboard (arrows step, Page keys step by ten, Home / End go
 * to the axis ends, Delete removes the anchor); the mouse drags them (d3-drag, see
 * use-anchor-drag.ts). d3 computes the scales and the line; React draws.
 */
import { line, scaleLinear } from 'd3';
import { useRef, type KeyboardEvent } from 'react';
import { curveColor } from './curve-colors.ts';
import { curveLabel, curveValue, type CurveSet } from './curve-model.ts';
import { formatValue, type LayerPosition } from './layer-positions.ts';
import { useAnchorDrag } from './use-anchor-drag.ts';

/** viewBox units; about the pixel width of the Recipe column at laptop widths, so text keeps its size. */
const W = 440;
const H = 220;
const M = { top: 14, right: 12, bottom: 40, left: 40 };

export interface CurveChartProps {
  readonly paramLabel: string;
  readonly curves: CurveSet;
  readonly active: number;
  readonly positions: readonly LayerPosition[];
  /** True when the recipe has slices (the x axis is then the position within each slice). */
  readonly sliced: boolean;
  readonly domain: readonly [number, number];
  readonly step: number;
  readonly onSelectAnchor: (k: number) => void;
  /** A drag in progress (value already clamped to the axis the drag started on). */
  readonly onDrag: (k: number, v: number, domain: readonly [number, number]) => void;
  readonly onDragEnd: () => void;
  /** A keyboard change: the new value, before rounding and clamping to the hard limits. */
  readonly onKeyValue: (k: number, v: number) => void;
  readonly onRemoveAnchor: (k: number) => void;
}

/** Where anchor k of n sits on the gradient (a single anchor is drawn in the middle). */
const anchorT = (k: number, n: number): number => (n > 1 ? k / (n - 1) : 0.5);

export function CurveChart(p: CurveChartProps) {
  const svg = useRef<SVGSVGElement>(null);
  // Inset so the end anchors clear the value labels and the edges.
  const x = scaleLinear()
    .domain([0, 1])
    .range([M.left + 12, W - M.right - 10]);
  const y = scaleLinear()
    .domain([...p.domain])
    .range([H - M.bottom, M.top]);
  const path = line<[number, number]>()
    .x((d) => x(d[0]))
    .y((d) => y(d[1]));
  const active = p.curves[p.active];
  const anchors = active?.anchors ?? [];
  useAnchorDrag(svg, { y, onStart: p.onSelectAnchor, onDrag: p.onDrag, onEnd: p.onDragEnd });

  const n = p.positions.length;
  const layerTicks = p.sliced
    ? [0, 0.5, 1].map((t) => ({ t, label: String(t) }))
    : x
        .copy()
        .domain([0, Math.max(1, n - 1)])
        .ticks(Math.min(n, 8))
        .filter(Number.isInteger)
        .map((l) => ({ t: n > 1 ? l / (n - 1) : 0, label: String(l) }));
  const where = (t: number): string =>
    p.sliced
      ? `position ${formatValue(t)} in each slice`
      : n > 1
        ? `layer ${formatValue(t * (n - 1))}`
        : 'the layer';

  const onKey = (k: number, v: number) => (e: KeyboardEvent<SVGCircleElement>) => {
    const big = p.step * 10;
    const moves: Record<string, number> = {
      ArrowUp: v + p.step,
      ArrowRight: v + p.step,
      ArrowDown: v - p.step,
      ArrowLeft: v - p.step,
      PageUp: v + big,
      PageDown: v - big,
      Home: p.domain[0],
      End: p.domain[1],
    };
    if (e.key in moves) {
      e.preventDefault();
      p.onKeyValue(k, moves[e.key]!);
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && anchors.length > 1) {
      e.preventDefault();
      p.onRemoveAnchor(k);
    }
  };

  return (
    <svg
      ref={svg}
      className="curve-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="group"
      aria-label={`${p.paramLabel} over the layers`}
    >
      {y.ticks(5).map((v) => (
        <g key={v} transform={`translate(0,${y(v)})`} aria-hidden="true">
          <line x1={M.left} x2={W - M.right} className="grid" />
          <text x={M.left - 6} dy="0.32em" textAnchor="end">
            {formatValue(v)}
          </text>
        </g>
      ))}
      <g aria-hidden="true">
        {layerTicks.map((tick) => (
          <text key={tick.t} x={x(tick.t)} y={H - M.bottom + 22} textAnchor="middle">
            {tick.label}
          </text>
        ))}
        <text x={(M.left + W - M.right) / 2} y={H - 4} textAnchor="middle" className="axis-title">
          {p.sliced ? 'position within each output slice' : 'layer'}
        </text>
      </g>
      {p.curves.map((c, i) => {
        const pts: [number, number][] =
          c.anchors.length === 1
            ? [
                [0, c.anchors[0]!],
                [1, c.anchors[0]!],
              ]
            : c.anchors.map((v, k) => [anchorT(k, c.anchors.length), v]);
        return (
          <path
            key={i}
            d={path(pts) ?? ''}
            className={i === p.active ? 'curve active' : 'curve'}
            stroke={curveColor(p.curves, i)}
            aria-hidden="true"
          >
            <title>{curveLabel(c)}</title>
          </path>
        );
      })}
      {active &&
        p.positions.map((pos) => (
          <circle
            key={pos.layer}
            className="layer-dot"
            cx={x(pos.t)}
            cy={y(curveValue(active, pos.t))}
            r={2.5}
            fill={curveColor(p.curves, p.active)}
            aria-hidden="true"
          />
        ))}
      {active &&
        anchors.map((v, k) => (
          <circle
            key={k}
            className="anchor"
            data-index={k}
            cx={x(anchorT(k, anchors.length))}
            cy={y(v)}
            r={8}
            stroke={curveColor(p.curves, p.active)}
            tabIndex={0}
            role="slider"
            aria-label={`${p.paramLabel}, ${curveLabel(active)}: anchor ${k + 1} of ${anchors.length}`}
            aria-valuemin={p.domain[0]}
            aria-valuemax={p.domain[1]}
            aria-valuenow={v}
            aria-valuetext={`${formatValue(v)} at ${anchors.length > 1 ? where(anchorT(k, anchors.length)) : 'every layer'}`}
            aria-orientation="vertical"
            onFocus={() => p.onSelectAnchor(k)}
            onKeyDown={onKey(k, v)}
          />
        ))}
    </svg>
  );
}
