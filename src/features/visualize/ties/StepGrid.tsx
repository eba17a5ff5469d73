/**
 * Vectors or 16x16 patches as grids of coloured cells (blue positive, red negative), one panel
 * per model or result. Faded cells are trimmed away or outvoted; a sign panel shows + and -.
 * Toy vectors are stacked rows with their numbers written in; real patches sit side by side.
 */
import { interpolateRdBu, scaleDiverging } from 'd3';

export interface GridPanel {
  readonly label: string;
  readonly values: ArrayLike<number>;
  readonly rows: number;
  readonly cols: number;
  /** 1 where the cell is trimmed away or outvoted. */
  readonly faded?: Uint8Array | undefined;
  /** Draw +, - (and blank for 0) instead of the value. */
  readonly signs?: boolean;
}

export interface StepGridProps {
  readonly panels: readonly GridPanel[];
  readonly layout: 'stack' | 'row';
  /** Largest magnitude of the colour scale. */
  readonly colorMax: number;
  readonly label: string;
}

const TOY_CELL = { w: 46, h: 30 };
const PATCH_CELL = 9;
const LABEL_W = 110;
const GAP = 18;

export function StepGrid({ panels, layout, colorMax, label }: StepGridProps) {
  const color = scaleDiverging((t: number) => interpolateRdBu(t)).domain([-colorMax, 0, colorMax]);
  const fill = (p: GridPanel, v: number) =>
    p.signs ? (v > 0 ? '#2c6bb0' : v < 0 ? '#c0392b' : '#eef0f4') : color(v);
  const stack = layout === 'stack';
  const cw = stack ? TOY_CELL.w : PATCH_CELL;
  const ch = stack ? TOY_CELL.h : PATCH_CELL;
  const maxCols = Math.max(...panels.map((p) => p.cols));
  const maxRows = Math.max(...panels.map((p) => p.rows));
  const width = stack ? LABEL_W + maxCols * cw + 4 : panels.length * (maxCols * cw + GAP);
  const height = stack ? panels.length * (ch + 8) : maxRows * ch + 40;
  return (
    <svg className="vis-grid" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      {panels.map((p, k) => {
        const ox = stack ? LABEL_W : k * (maxCols * cw + GAP);
        const oy = stack ? k * (ch + 8) : 0;
        return (
          <g key={p.label} transform={`translate(${ox},${oy})`}>
            <text
              className="vis-panel-label"
              x={stack ? -8 : 0}
              y={stack ? ch / 2 : maxRows * ch + 16}
              dy={stack ? '0.32em' : 0}
              textAnchor={stack ? 'end' : 'start'}
            >
              {p.label}
            </text>
            {Array.from(p.values, (v, i) => {
              const r = Math.floor(i / p.cols);
              const c = i % p.cols;
              const faded = p.faded?.[i] === 1;
              return (
                <g key={i} className={faded ? 'vis-cell faded' : 'vis-cell'}>
                  <rect x={c * cw} y={r * ch} width={cw - 1} height={ch - 1} fill={fill(p, v)}>
                    <title>
                      {p.label} [{p.rows > 1 ? `${r}, ${c}` : c}]:{' '}
                      {p.signs ? (v > 0 ? '+' : v < 0 ? '−' : 'no vote') : v.toPrecision(4)}
                      {faded ? ' (dropped)' : ''}
                    </title>
                  </rect>
                  {stack && (
                    <text
                      className={!faded && (p.signs || Math.abs(v) > 0.6 * colorMax) ? 'on-dark' : undefined}
                      x={c * cw + cw / 2}
                      y={r * ch + ch / 2}
                      dy="0.32em"
                      textAnchor="middle"
                    >
                      {p.signs ? (v > 0 ? '+' : v < 0 ? '−' : '·') : v === 0 ? '0' : v.toFixed(2)}
                    </text>
                  )}
                </g>
              );
            })}
          </g>
        );
      })}
    </svg>
  );
}
