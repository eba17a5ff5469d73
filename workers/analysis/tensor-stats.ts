/**
 * The numbers the preview's heatmap shows for one tensor, computed from the models' values at
 * the same positions (a whole tensor, or the same sample of rows from each model):
 *
 * - task vectors (each model minus the base): their L2 norms, the cosine between each pair, the
 *   share of contested entries whose signs disagree (what TIES's sign election has to settle),
 *   and the share of each task vector TIES would trim at the model's density, found with the
 *   engine's own magnitude sparsifier (so the count at the cut-off is exactly the merge's);
 * - the SLERP angle between two models' raw tensors, with mergekit's cosine (slerpCos) and its
 *   colinear threshold, below which SLERP falls back to LERP.
 *
 * Sums are float64 (the engine's vec helpers); task vectors are float32, as the merge computes them.
 */
import { sparsify } from '../methods/shared/sparsify.ts';
import { dot, norm, sub } from '../methods/shared/vec.ts';
import { SLERP_COLINEAR, slerpCos } from '../methods/slerp.ts';

export interface TaskVectorStats {
  /** ||x_m - base|| per model. */
  readonly norms: readonly number[];
  /** ||x_m - base|| / ||base|| per model (0 when the base is all zeros). */
  readonly relNorms: readonly number[];
  /** cos(delta_a, delta_b) for each pair a < b, in order (0,1), (0,2), (1,2)...; null for a zero delta. */
  readonly pairCosines: readonly (number | null)[];
  /** Mean of the defined pair cosines; null with one model or none defined. */
  readonly cosine: number | null;
  /** Of the entries where two or more deltas are non-zero, the share with both signs; null with one model. */
  readonly signConflict: number | null;
  /** The largest norm over the sum of norms; null with one model or all zero. */
  readonly normShare: number | null;
  /** Index of the model with the largest norm. */
  readonly dominant: number | null;
}

export interface TrimStats {
  readonly density: number;
  /** Share of the entries TIES sets to zero. */
  readonly trimmed: number;
  /** Share of the task vector's squared norm that those entries carry. */
  readonly trimmedEnergy: number;
}

export interface SlerpAngle {
  readonly degrees: number;
  /** |cos| above mergekit's threshold: SLERP interpolates linearly here. */
  readonly lerp: boolean;
}

export function taskVectors(base: Float32Array, models: readonly Float32Array[]): Float32Array[] {
  return models.map((x) => sub(x, base));
}

export function taskVectorStats(base: Float32Array, deltas: readonly Float32Array[]): TaskVectorStats {
  const baseNorm = norm(base);
  const norms = deltas.map((d) => norm(d));
  const relNorms = norms.map((n) => (baseNorm > 0 ? n / baseNorm : 0));
  const pairCosines: (number | null)[] = [];
  for (let a = 0; a < deltas.length; a++) {
    for (let b = a + 1; b < deltas.length; b++) {
      const den = norms[a]! * norms[b]!;
      pairCosines.push(den > 0 ? dot(deltas[a]!, deltas[b]!) / den : null);
    }
  }
  const defined = pairCosines.filter((c): c is number => c !== null);
  const total = norms.reduce((s, n) => s + n, 0);
  const dominant = deltas.length > 1 && total > 0 ? norms.indexOf(Math.max(...norms)) : null;
  return {
    norms,
    relNorms,
    pairCosines,
    cosine: defined.length > 0 ? defined.reduce((s, c) => s + c, 0) / defined.length : null,
    signConflict: deltas.length > 1 ? signConflictRate(deltas) : null,
    normShare: dominant === null ? null : norms[dominant]! / total,
    dominant,
  };
}

/** Of the entries where at least two deltas are non-zero, the share where some are > 0 and some < 0. */
export function signConflictRate(deltas: readonly Float32Array[]): number {
  const n = deltas[0]?.length ?? 0;
  let contested = 0;
  let conflicts = 0;
  for (let i = 0; i < n; i++) {
    let pos = 0;
    let neg = 0;
    for (const d of deltas) {
      const v = d[i]!;
      if (v > 0) pos++;
      else if (v < 0) neg++;
    }
    if (pos + neg >= 2) {
      contested++;
      if (pos > 0 && neg > 0) conflicts++;
    }
  }
  return contested > 0 ? conflicts / contested : 0;
}

/**
 * What TIES's trim step removes from one task vector at `density`: the engine's magnitude
 * sparsifier (exactly trunc(density * n) entries kept, ties by lowest index) run on a copy.
 */
export function tiesTrim(delta: Float32Array, density: number, shape: readonly number[]): TrimStats {
  const kept = Float32Array.from(delta);
  sparsify(kept, 'magnitude', { density, rescale: false, shape });
  let keptCount = 0;
  let keptEnergy = 0;
  for (let i = 0; i < kept.length; i++) {
    const v = kept[i]!;
    if (v !== 0) keptCount++;
    keptEnergy += v * v;
  }
  let nonZero = 0;
  for (let i = 0; i < delta.length; i++) if (delta[i] !== 0) nonZero++;
  const energy = dot(delta, delta);
  // Entries that were zero before trimming are not "trimmed": count only what TIES removes.
  const n = delta.length;
  return {
    density,
    trimmed: n > 0 ? (nonZero - keptCount) / n : 0,
    trimmedEnergy: energy > 0 ? Math.max(0, 1 - keptEnergy / energy) : 0,
  };
}

/** The angle SLERP interpolates over, between two models' tensors (not task vectors). */
export function slerpAngle(a: Float32Array, b: Float32Array): SlerpAngle {
  const cos = slerpCos(a, b);
  const clamped = Math.min(1, Math.max(-1, cos));
  return { degrees: (Math.acos(clamped) * 180) / Math.PI, lerp: Math.abs(cos) > SLERP_COLINEAR };
}
