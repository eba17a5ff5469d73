/**
 * Two real tensors as the sphere view draws them. Whatever their size, A, B and every
 * LERP / SLERP result lie in the plane A and B span, so an orthonormal basis of that plane
 * gives an exact 2-D picture: A on one axis, B at its true angle, each with its true norm.
 * The picture is scaled so the longer tensor has norm 1 and laid on the globe's equator,
 * symmetric about longitude 0 like the toy pair.
 *
 * The angle is the slerp kernel's own (slerpCos); the basis uses the engine's float64 dot.
 */
import { dot, norm } from '../../../workers/methods/shared/vec.ts';
import { angleOf, type PairAngle } from './sphere-geometry.ts';

export class ZeroTensorError extends Error {
  override readonly name: string = 'ZeroTensorError';
}

export interface PlacedPair extends PairAngle {
  readonly normA: number;
  readonly normB: number;
  /** The larger norm: the picture's unit. */
  readonly scale: number;
  /** A and B on the equator, norms divided by `scale`. */
  readonly a3: Float32Array;
  readonly b3: Float32Array;
  /** The same picture of any vector in the plane of A and B (a kernel's output). */
  place(v: Float32Array): Float32Array;
}

export function placePair(a: Float32Array, b: Float32Array, what = 'tensor'): PlacedPair {
  if (a.length !== b.length) {
    throw new RangeError(`the two ${what}s differ in size (${a.length} and ${b.length} elements)`);
  }
  const normA = norm(a);
  const normB = norm(b);
  if (normA === 0 || normB === 0) {
    throw new ZeroTensorError(
      `one of the two ${what}s is all zeros, so it has no direction to interpolate: pick another tensor`,
    );
  }
  const angle = angleOf(a, b);
  const ab = dot(a, b);
  // B's component along A, and the length of the rest (B's distance from A's line).
  const bAlong = ab / normA;
  const bPerp = Math.sqrt(Math.max(0, normB * normB - bAlong * bAlong));
  const scale = Math.max(normA, normB);
  const half = (angle.degrees * Math.PI) / 180 / 2;
  const [c, s] = [Math.cos(half), Math.sin(half)];
  const place = (v: Float32Array): Float32Array => {
    const x = dot(v, a) / normA;
    const y = bPerp > 1e-12 * normB ? (dot(v, b) - x * bAlong) / bPerp : 0;
    // Rotate by -theta/2 so A sits at longitude -theta/2 and B at +theta/2.
    return Float32Array.of((x * c + y * s) / scale, (-x * s + y * c) / scale, 0);
  };
  return { ...angle, normA, normB, scale, a3: place(a), b3: place(b), place };
}
