/**
 * One tensor's row of the analysis: the models' values at the same positions in, the heatmap's
 * numbers out (tensor-stats.ts computes them). Kept apart from the reading so it can be tested
 * on hand-made vectors.
 */
import { slerpAngle, taskVectors, taskVectorStats, tiesTrim } from './tensor-stats.ts';
import type { TensorAnalysis } from './types.ts';

export interface TensorInputs {
  readonly layer: number;
  readonly module: string;
  readonly tensor: string;
  /** The full tensor's shape (for the element count and TIES's row length). */
  readonly shape: readonly number[];
  /** Elements each of `values` holds. */
  readonly sampled: number;
  readonly base: { readonly model: string; readonly values: Float32Array } | undefined;
  /** The non-base models. */
  readonly models: readonly { readonly model: string; readonly values: Float32Array }[];
  /** TIES density per model. */
  readonly densities: readonly number[];
  /** Measure the SLERP angle from the base to the first model (a SLERP recipe), else between the first two models. */
  readonly slerpFromBase: boolean;
}

const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length;

export function tensorAnalysis(o: TensorInputs): TensorAnalysis {
  const elements = o.shape.reduce((a, b) => a * b, 1);
  const xs = o.models.map((m) => m.values);
  const shape = o.sampled === elements ? o.shape : [o.sampled];
  let perModel: TensorAnalysis['perModel'] = [];
  let stats: ReturnType<typeof taskVectorStats> | undefined;
  if (o.base) {
    const deltas = taskVectors(o.base.values, xs);
    stats = taskVectorStats(o.base.values, deltas);
    perModel = o.models.map((m, i) => {
      const trim = tiesTrim(deltas[i]!, o.densities[i]!, shape);
      return {
        model: m.model,
        norm: stats!.norms[i]!,
        relNorm: stats!.relNorms[i]!,
        density: trim.density,
        trimmed: trim.trimmed,
        trimmedEnergy: trim.trimmedEnergy,
      };
    });
  }
  const ends =
    (o.slerpFromBase || xs.length < 2) && o.base && xs[0]
      ? [o.base.values, xs[0]]
      : xs.length >= 2
        ? [xs[0]!, xs[1]!]
        : undefined;
  const angle = ends && slerpAngle(ends[0]!, ends[1]!);
  return {
    layer: o.layer,
    module: o.module,
    tensor: o.tensor,
    elements,
    sampled: o.sampled,
    metrics: {
      cosine: stats?.cosine ?? null,
      signConflict: stats?.signConflict ?? null,
      relNorm: mean(perModel.map((p) => p.relNorm)),
      normShare: stats?.normShare ?? null,
      trimmedEnergy: mean(perModel.map((p) => p.trimmedEnergy)),
      slerpDegrees: angle ? angle.degrees : null,
    },
    perModel,
    dominant: stats?.dominant == null ? null : o.models[stats.dominant]!.model,
    slerpLerp: angle ? angle.lerp : null,
  };
}
