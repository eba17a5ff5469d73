/**
 * A grid of coloured cells (rows x columns) with a tooltip, used for the per-layer analysis and
 * for two-parameter sweeps. The caller's d3 scale gives the colours; React draws the SVG at
 * its natural size (so tooltip positions are plain pixels). Keyboard: the grid is one tab
 * stop; arrow keys, Home and End move the active cell, whose description is the tooltip, also
 * announced through a live region.
 */
import { useId, useRef, useState, type KeyboardEvent } from 'react';

export interface HeatmapProps {
  readonly label: string;
  readonly rows: readonly string[];
  readonly cols: readonly string[];
  readonly value: (r: number, c: number) => number | null;
  readonly colour: (v: number) => string;
  /** Tooltip lines of a cell. */
  readonly describe: (r: number, c: number) => readonly string[];
  /** Printed in the cells when given. */
  readonly format?: (v: number) => string;
  /** A cell drawn with a heavy outline (the best point). */
  readonly highlight?: readonly [number, number];
  readonly rowTitle?: string;
  readonly colTitle?: string;
  /** Legend: the scale's range and how to print its ends. */
  readonly legend?: { readonly domain: readonly [number, number]; readonly format: (v: number) => string };
}

const CELL_W = 56;
const CELL_H = 26;
/** Room above the grid for the title and labels up to about 20 characters. */
const MIN_TOP = 92;
const LEGEND_STOPS = 24;
/** Column labels lean right at this angle (degrees) from their cell's centre. */
const COL_ANGLE = 40;
/** A generous width per character of the 11px labels ('_' and 'm' included), in pixels. */
const CHAR_W = 6.5;

export interface HeatmapLayout {
  /** Where the grid starts: after the row labels, and below the column labels. */
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The SVG's size: room on the left for the row labels, and above and to the right for the
 * longest column label leaning at 40 degrees ("post_attention_layernorm" was cut off).
 */
export function heatmapLayout(
  rows: readonly string[],
  cols: readonly string[],
  legend: boolean,
): HeatmapLayout {
  const left = 14 + CHAR_W * Math.max(6, ...rows.map((r) => r.length));
  const rad = (COL_ANGLE * Math.PI) / 180;
  const longest = CHAR_W * Math.max(0, ...cols.map((c) => c.length));
  // A label starts at its cell's centre, 6 px above the grid, and rises to the right.
  const top = Math.max(MIN_TOP, Math.ceil(6 + longest * Math.sin(rad) + 4));
  const lastCentre = left + (cols.length - 0.5) * CELL_W;
  const width = Math.max(
    left + cols.length * CELL_W + 8,
    Math.ceil(lastCentre + longest * Math.cos(rad) + 8),
  );
  const height = top + rows.length * CELL_H + (legend ? 36 : 8);
  return { left, top, width, height };
}

export function Heatmap(p: HeatmapProps) {
  const id = useId();
  const [active, setActive] = useState<readonly [number, number] | undefined>();
  const [scroll, setScroll] = useState(0);
  const [room, setRoom] = useState(0);
  const box = useRef<HTMLDivElement>(null);
  const activate = (cell: readonly [number, number] | undefined): void => {
    setActive(cell);
    setRoom(box.current?.clientWidth ?? 0);
  };
  const { left, top, width, height } = heatmapLayout(p.rows, p.cols, p.legend !== undefined);
  const move = (e: KeyboardEvent<HTMLDivElement>): void => {
    const [r, c] = active ?? [0, 0];
    const next: Record<string, readonly [number, number]> = {
      ArrowUp: [Math.max(0, r - 1), c],
      ArrowDown: [Math.min(p.rows.length - 1, r + 1), c],
      ArrowLeft: [r, Math.max(0, c - 1)],
      ArrowRight: [r, Math.min(p.cols.length - 1, c + 1)],
      Home: [r, 0],
      End: [r, p.cols.length - 1],
    };
    const to = next[e.key];
    if (!to) return;
    e.preventDefault();
    activate(to);
  };
  const tip = active && p.describe(active[0], active[1]);
  return (
    <div className="heatmap" ref={box}>
      <div
        className="heatmap-scroll"
        tabIndex={0}
        role="group"
        aria-label={`${p.label}: use the arrow keys to read the cells`}
        aria-describedby={`${id}-tip`}
        onKeyDown={move}
        onFocus={() => activate(active ?? [0, 0])}
        onBlur={() => activate(undefined)}
        onMouseLeave={() => activate(undefined)}
        onScroll={(e) => setScroll(e.currentTarget.scrollLeft)}
      >
        <svg width={width} height={height} role="img" aria-label={p.label}>
          {p.colTitle && (
            <text x={left} y={12} className="heatmap-title">
              {p.colTitle}
            </text>
          )}
          {p.cols.map((c, j) => (
            <text
              key={c}
              transform={`translate(${left + j * CELL_W + CELL_W / 2},${top - 6}) rotate(-${COL_ANGLE})`}
              className="heatmap-col"
            >
              {c}
            </text>
          ))}
          {p.rowTitle && (
            <text x={4} y={top - 6} className="heatmap-title">
              {p.rowTitle}
            </text>
          )}
          {p.rows.map((row, i) => (
            <g key={row} transform={`translate(0,${top + i * CELL_H})`}>
              <text x={left - 6} y={CELL_H / 2} dy="0.32em" textAnchor="end" className="heatmap-row">
                {row}
              </text>
              {p.cols.map((col, j) => {
                const v = p.value(i, j);
                const on = active?.[0] === i && active[1] === j;
                const best = p.highlight?.[0] === i && p.highlight[1] === j;
                return (
                  <g key={col} transform={`translate(${left + j * CELL_W},0)`}>
                    <rect
                      width={CELL_W - 2}
                      height={CELL_H - 2}
                      fill={v === null ? '#f1f2f6' : p.colour(v)}
                      className={`heatmap-cell${on ? ' active' : ''}${best ? ' best' : ''}`}
                      onMouseEnter={() => activate([i, j])}
                    />
                    {p.format && v !== null && (
                      <text x={(CELL_W - 2) / 2} y={CELL_H / 2} dy="0.32em" className="heatmap-value">
                        {p.format(v)}
                      </text>
                    )}
                  </g>
                );
              })}
            </g>
          ))}
          {p.legend && (
            <Legend {...p.legend} colour={p.colour} x={left} y={top + p.rows.length * CELL_H + 8} />
          )}
        </svg>
      </div>
      <div
        id={`${id}-tip`}
        className="heatmap-tip"
        role="status"
        hidden={!tip}
        style={active && tipPosition(active, left, top, Math.max(width, room), scroll)}
      >
        {tip?.map((line, k) => (
          <div key={k} className={k === 0 ? 'heatmap-tip-head' : undefined}>
            {line}
          </div>
        ))}
      </div>
    </div>
  );
}

const TIP_WIDTH = 300;

/** Beside the cell, right if the box (`room` wide) has space, else left; the grid may be scrolled by `scroll`. */
function tipPosition(
  [r, c]: readonly [number, number],
  left: number,
  top: number,
  room: number,
  scroll: number,
) {
  const x = left + (c + 1) * CELL_W + 6;
  const fits = x - scroll + TIP_WIDTH <= room;
  return {
    top: top + r * CELL_H,
    left: (fits ? x : Math.max(0, left + c * CELL_W - TIP_WIDTH - 6)) - scroll,
  };
}

function Legend(p: {
  readonly domain: readonly [number, number];
  readonly format: (v: number) => string;
  readonly colour: (v: number) => string;
  readonly x: number;
  readonly y: number;
}) {
  const [lo, hi] = p.domain;
  const w = 8;
  return (
    <g transform={`translate(${p.x},${p.y})`} aria-hidden="true">
      {Array.from({ length: LEGEND_STOPS }, (_, k) => (
        <rect
          key={k}
          x={k * w}
          width={w}
          height={10}
          fill={p.colour(lo + ((hi - lo) * k) / (LEGEND_STOPS - 1))}
        />
      ))}
      <text y={24} className="heatmap-legend">
        {p.format(lo)}
      </text>
      <text x={LEGEND_STOPS * w} y={24} textAnchor="end" className="heatmap-legend">
        {p.format(hi)}
      </text>
    </g>
  );
}
