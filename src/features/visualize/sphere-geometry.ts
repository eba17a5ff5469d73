/**
 * Geometry of the LERP vs SLERP sphere: two vectors in the plane they span, drawn on the
 * equator of a unit globe, and the points LERP and SLERP make of them at t. The points come
 * from the engine's `linear` and `slerp` kernels; this module only places them and projects
 * them with d3's orthographic projection.
 *
 * Orthographic projection is linear in 3-D (rotate, then drop the depth), so a point inside the
 * sphere (a LERP result, whose norm dips below 1) projects to the centre plus its norm times the
 * projection of its direction.
 */
import type { GeoProjection } from 'd3';
import { SLERP_COLINEAR, slerpCos } from '../../../workers/methods/slerp.ts';
import { norm } from '../../../workers/methods/shared/vec.ts';
import { runKernel } from './engine-kernels.ts';

const DEG = 180 / Math.PI;

/** A point on the equator plane (z = 0) at radius r and longitude `lon` (radians). */
export function equatorPoint(r: number, lon: number): Float32Array {
  return Float32Array.of(r * Math.cos(lon), r * Math.sin(lon), 0);
}

/** Two unit vectors `degrees` apart on the equator, symmetric about longitude 0 (A west of B). */
export function toyPair(degrees: number): { readonly a: Float32Array; readonly b: Float32Array } {
  const half = degrees / DEG / 2;
  return { a: equatorPoint(1, -half), b: equatorPoint(1, half) };
}

/** LERP as the engine's `linear` kernel computes it: weights 1 - t and t, no normalising. */
export function lerpAt(a: Float32Array, b: Float32Array, t: number): Float32Array {
  return runKernel({
    method: 'linear',
    inputs: [a, b],
    global: { normalize: false },
    perModel: [{ weight: 1 - t }, { weight: t }],
  }).out;
}

/** SLERP as the engine's `slerp` kernel computes it: a is the base (t = 0), b the other model. */
export function slerpAt(a: Float32Array, b: Float32Array, t: number): Float32Array {
  return runKernel({ method: 'slerp', base: a, inputs: [b], global: { t } }).out;
}

export interface PairAngle {
  /** cos of the angle, as the slerp kernel computes it. */
  readonly cos: number;
  readonly degrees: number;
  /** The slerp kernel falls back to LERP here (|cos| above mergekit's 0.9995). */
  readonly fallsBackToLerp: boolean;
}

export function angleOf(a: Float32Array, b: Float32Array): PairAngle {
  const cos = slerpCos(a, b);
  return {
    cos,
    degrees: Math.acos(Math.min(1, Math.max(-1, cos))) * DEG,
    fallsBackToLerp: Math.abs(cos) > SLERP_COLINEAR,
  };
}

export interface NormSample {
  readonly t: number;
  readonly lerp: number;
  readonly slerp: number;
}

/** Norms of LERP(t) and SLERP(t) at `count` evenly spaced t from 0 to 1. */
export function normCurve(a: Float32Array, b: Float32Array, count = 41): NormSample[] {
  return Array.from({ length: count }, (_, i) => {
    const t = i / (count - 1);
    return { t, lerp: norm(lerpAt(a, b, t)), slerp: norm(slerpAt(a, b, t)) };
  });
}

/** The points SLERP visits as t goes from 0 to 1 (the arc, or the chord where it falls back). */
export function slerpPath(a: Float32Array, b: Float32Array, count = 49): Float32Array[] {
  return Array.from({ length: count }, (_, i) => slerpAt(a, b, i / (count - 1)));
}

/** Longitude and latitude in degrees of a 3-vector's direction (d3's convention). */
export function toLonLat(v: ArrayLike<number>): [number, number] {
  const [x, y, z] = [v[0]!, v[1]!, v[2]!];
  const r = Math.hypot(x, y, z);
  if (r === 0) return [0, 0];
  return [Math.atan2(y, x) * DEG, Math.asin(Math.max(-1, Math.min(1, z / r))) * DEG];
}

/** Where a 3-vector of any norm lands on screen under an orthographic projection. */
export function projectPoint(projection: GeoProjection, v: ArrayLike<number>): [number, number] {
  const [cx, cy] = projection.translate();
  const r = Math.hypot(v[0]!, v[1]!, v[2]!);
  if (r === 0) return [cx, cy];
  const p = projection(toLonLat(v)) ?? [cx, cy];
  return [cx + r * (p[0] - cx), cy + r * (p[1] - cy)];
}

/** True when the point is on the viewer's side of the globe (rotation as d3's `rotate()`). */
export function facesViewer(rotation: readonly number[], v: ArrayLike<number>): boolean {
  const lon = -(rotation[0] ?? 0) / DEG;
  const lat = -(rotation[1] ?? 0) / DEG;
  const view = [Math.cos(lat) * Math.cos(lon), Math.cos(lat) * Math.sin(lon), Math.sin(lat)];
  return v[0]! * view[0]! + v[1]! * view[1]! + v[2]! * view[2]! >= -1e-9;
}
