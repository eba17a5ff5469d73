import { geoOrthographic } from 'd3';
import { describe, expect, it } from 'vitest';
import { norm } from '../../../workers/methods/shared/vec.ts';
import {
  angleOf,
  facesViewer,
  lerpAt,
  normCurve,
  projectPoint,
  slerpAt,
  slerpPath,
  toLonLat,
  toyPair,
} from './sphere-geometry.ts';

const lerpNorm = (deg: number, t: number): number => {
  const c = Math.cos((deg * Math.PI) / 180);
  return Math.sqrt((1 - t) ** 2 + t ** 2 + 2 * t * (1 - t) * c);
};

describe('the toy pair', () => {
  it('is two unit vectors the asked angle apart, symmetric about longitude 0', () => {
    const { a, b } = toyPair(60);
    expect(norm(a)).toBeCloseTo(1, 6);
    expect(norm(b)).toBeCloseTo(1, 6);
    expect(angleOf(a, b).degrees).toBeCloseTo(60, 4);
    expect(toLonLat(a)[0]).toBeCloseTo(-30, 4);
    expect(toLonLat(b)[0]).toBeCloseTo(30, 4);
  });
});

describe('SLERP and LERP by the engine kernels', () => {
  it('SLERP path points all have norm 1 (the arc stays on the sphere)', () => {
    for (const deg of [10, 45, 90, 135, 170]) {
      const { a, b } = toyPair(deg);
      for (const p of slerpPath(a, b, 21)) expect(norm(p)).toBeCloseTo(1, 6);
    }
  });

  it('SLERP at t moves the angle linearly: t = 0.25 of 80 degrees is 20 degrees from A', () => {
    const { a, b } = toyPair(80);
    const p = slerpAt(a, b, 0.25);
    expect(angleOf(a, p).degrees).toBeCloseTo(20, 3);
    expect(toLonLat(p)[0]).toBeCloseTo(-20, 3);
  });

  it('LERP norms follow sqrt((1-t)^2 + t^2 + 2t(1-t)cos theta) and dip to cos(theta/2) at t = 0.5', () => {
    for (const deg of [30, 90, 150]) {
      const { a, b } = toyPair(deg);
      for (const t of [0, 0.1, 0.3, 0.5, 0.8, 1])
        expect(norm(lerpAt(a, b, t))).toBeCloseTo(lerpNorm(deg, t), 6);
      expect(norm(lerpAt(a, b, 0.5))).toBeCloseTo(Math.cos((deg * Math.PI) / 360), 6);
    }
    // t = 0.25 is a quarter of the way along the chord from A.
    const q = toyPair(100);
    const p = lerpAt(q.a, q.b, 0.25);
    expect(p[0]).toBeCloseTo(0.75 * q.a[0]! + 0.25 * q.b[0]!, 6);
    expect(p[1]).toBeCloseTo(0.75 * q.a[1]! + 0.25 * q.b[1]!, 6);
    // 90 degrees: the chord's midpoint is at 1/sqrt(2).
    const { a, b } = toyPair(90);
    expect(norm(lerpAt(a, b, 0.5))).toBeCloseTo(0.70711, 5);
  });

  it('the norm curve: LERP dips, SLERP stays 1, both 1 at the ends', () => {
    const { a, b } = toyPair(120);
    const curve = normCurve(a, b, 5);
    expect(curve.map((s) => s.t)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(curve.every((s) => Math.abs(s.slerp - 1) < 1e-6)).toBe(true);
    expect(curve[2]!.lerp).toBeCloseTo(0.5, 6); // cos(60 degrees)
    expect(curve[0]!.lerp).toBeCloseTo(1, 6);
    expect(curve[4]!.lerp).toBeCloseTo(1, 6);
  });

  it('nearly parallel vectors: the kernel falls back to LERP, as mergekit does', () => {
    const { a, b } = toyPair(1);
    expect(angleOf(a, b).fallsBackToLerp).toBe(true);
    expect(norm(slerpAt(a, b, 0.5))).toBeCloseTo(Math.cos((0.5 * Math.PI) / 180), 7);
    const five = toyPair(5);
    expect(angleOf(five.a, five.b).fallsBackToLerp).toBe(false);
  });
});

describe('projection onto the globe', () => {
  const projection = geoOrthographic().scale(100).translate([150, 150]).rotate([0, 0]);

  it('the point facing the viewer lands in the centre, a half-length one on the way to the rim', () => {
    expect(projectPoint(projection, [1, 0, 0])).toEqual([150, 150]);
    const rim = projectPoint(projection, [0, 1, 0]);
    expect(rim[0]).toBeCloseTo(250, 6);
    const half = projectPoint(projection, [0, 0.5, 0]);
    expect(half[0]).toBeCloseTo(200, 6);
    expect(half[1]).toBeCloseTo(150, 6);
    expect(projectPoint(projection, [0, 0, 0])).toEqual([150, 150]);
  });

  it('tells the front of the globe from the back as it rotates', () => {
    expect(facesViewer([0, 0], [1, 0, 0])).toBe(true);
    expect(facesViewer([0, 0], [-1, 0, 0])).toBe(false);
    expect(facesViewer([180, 0], [-1, 0, 0])).toBe(true);
    expect(facesViewer([-90, 0], [0, 1, 0])).toBe(true);
  });
});
