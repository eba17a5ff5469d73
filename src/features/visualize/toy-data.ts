/**
 * The toy inputs of the TIES and DARE views: small enough to read every number, built so each
 * step shows something (sign conflicts for TIES to resolve, a spread of magnitudes for DARE and
 * DELLA to rank). The base is zero, so each toy model is its own task vector.
 */
import { uniformAt } from '../../../workers/rng.ts';

/**
 * Three task vectors of 10 entries. Almost every entry has a model pulling the other way; at
 * density 0.5 most of those are trimmed, but entry 6 keeps its conflict (A +0.75 against B and C)
 * for the sign election to settle, and entry 9 loses every vote.
 */
export const TOY_TIES: readonly Float32Array[] = [
  Float32Array.of(0.9, -0.2, 0.05, 0.6, -0.7, 0.1, 0.75, -0.05, 0.8, -0.4),
  Float32Array.of(0.7, 0.5, -0.1, -0.3, -0.6, 0.02, -0.9, 0.2, 0.4, 0.3),
  Float32Array.of(-0.2, 0.6, 0.15, 0.5, 0.1, -0.08, -0.5, -0.6, 0.9, -0.2),
];
export const TOY_TIES_NAMES: readonly string[] = ['model A', 'model B', 'model C'];

/** The toy DARE task vector's shape: 8 rows of 64 (DELLA ranks within a row). */
export const TOY_DARE_SHAPE: readonly number[] = [8, 64];

/**
 * A bell-shaped toy task vector (the sum of four uniforms, centred, scaled to a fine-tune's
 * typical 1e-2), drawn from the engine's counter-based hash with a fixed key so it never changes.
 */
export function toyDareDelta(): Float32Array {
  const n = TOY_DARE_SHAPE[0]! * TOY_DARE_SHAPE[1]!;
  const key = 0x5eed_da4e;
  return Float32Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < 4; j++) s += uniformAt(key, i * 4 + j);
    return (s - 2) * 0.02;
  });
}
