/**
 * The unit globe: A and B on the equator, SLERP's path along the arc, LERP's along the chord,
 * and where each is at t. d3 gives the orthographic projection, the graticule and the drag;
 * React draws. Drag or use the arrow keys to turn the globe; points behind it are faded.
 */
import { drag, geoGraticule10, geoOrthographic, geoPath, select } from 'd3';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { facesViewer, projectPoint } from '../sphere-geometry.ts';

const SIZE = 300;
const RADIUS = 130;
/** Degrees per pixel dragged, and per arrow key press. */
const DRAG_SPEED = 0.5;
const KEY_STEP = 10;
/** A view from above the equator, so the arc and the chord read as curves, not one line. */
export const TILTED: readonly [number, number] = [0, -35];
/** Facing the plane of A and B (from the south pole, A left and B right at the top): true angles. */
export const FACE_ON: readonly [number, number] = [0, 90];

export interface GlobeProps {
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly lerp: Float32Array;
  readonly slerp: Float32Array;
  /** SLERP's points from t = 0 to 1. */
  readonly path: readonly Float32Array[];
  readonly label: string;
  /** Where the view starts (d3's rotate()); the user turns it from there. */
  readonly start: readonly [number, number];
}

const clampLat = (x: number): number => Math.max(-90, Math.min(90, x));

export function Globe({ a, b, lerp, slerp, path, label, start }: GlobeProps) {
  const ref = useRef<SVGSVGElement>(null);
  const [rotation, setRotation] = useState<[number, number]>([start[0], start[1]]);
  useEffect(() => {
    const svg = ref.current;
    if (!svg) return;
    const behaviour = drag<SVGSVGElement, unknown>().on('drag', (e: { dx: number; dy: number }) =>
      setRotation(([lon, lat]) => [lon + e.dx * DRAG_SPEED, clampLat(lat - e.dy * DRAG_SPEED)]),
    );
    select(svg).call(behaviour);
    return () => {
      select(svg).on('.drag', null);
    };
  }, []);
  const onKey = (e: KeyboardEvent) => {
    const d = {
      ArrowLeft: [-KEY_STEP, 0],
      ArrowRight: [KEY_STEP, 0],
      ArrowUp: [0, KEY_STEP],
      ArrowDown: [0, -KEY_STEP],
    }[e.key];
    if (!d) return;
    e.preventDefault();
    setRotation(([lon, lat]) => [lon + d[0]!, clampLat(lat + d[1]!)]);
  };
  const projection = geoOrthographic()
    .scale(RADIUS)
    .translate([SIZE / 2, SIZE / 2])
    .rotate(rotation)
    .clipAngle(90);
  const geo = geoPath(projection);
  const at = (v: Float32Array) => projectPoint(projection, v);
  const front = (v: Float32Array) => facesViewer(rotation, v);
  const center = projection.translate();
  const [ax, ay] = at(a);
  const [bx, by] = at(b);
  const arc = path.map(at);
  const point = (v: Float32Array, kind: string, r: number) => {
    const [x, y] = at(v);
    return (
      <circle data-point={kind} className={`vis-${kind}${front(v) ? '' : ' behind'}`} cx={x} cy={y} r={r} />
    );
  };
  return (
    <svg
      ref={ref}
      className="vis-globe"
      viewBox={`0 0 ${SIZE} ${SIZE}`}
      role="img"
      aria-label={`${label} Drag, or focus and use the arrow keys, to turn the globe.`}
      tabIndex={0}
      onKeyDown={onKey}
    >
      <path className="vis-sphere" d={geo({ type: 'Sphere' }) ?? ''} />
      <path className="vis-graticule" d={geo(geoGraticule10()) ?? ''} />
      {[a, b].map((v, i) => (
        <line key={i} className="vis-radius" x1={center[0]} y1={center[1]} x2={at(v)[0]} y2={at(v)[1]} />
      ))}
      <line className="vis-chord" x1={ax} y1={ay} x2={bx} y2={by} />
      <polyline className="vis-arc" points={arc.map(([x, y]) => `${x},${y}`).join(' ')} />
      <line className="vis-radius lerp" x1={center[0]} y1={center[1]} x2={at(lerp)[0]} y2={at(lerp)[1]} />
      <line className="vis-radius slerp" x1={center[0]} y1={center[1]} x2={at(slerp)[0]} y2={at(slerp)[1]} />
      {point(a, 'a', 5)}
      {point(b, 'b', 5)}
      <text className="vis-point-label" x={ax - 14} y={ay - 8}>
        A
      </text>
      <text className="vis-point-label" x={bx + 6} y={by - 8}>
        B
      </text>
      {point(lerp, 'lerp', 6)}
      {point(slerp, 'slerp', 6)}
    </svg>
  );
}
