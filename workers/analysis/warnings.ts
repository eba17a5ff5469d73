/**
 * Known failure signs in the per-tensor numbers, each as one sentence with the numbers behind
 * it. The thresholds are rules of thumb, chosen so that a healthy family (the tinymix
 * fine-tunes of one base: task vectors 0.1-0.4 of the base's norm, SLERP angles under 30
 * degrees, pair cosines around 0) raises only the sign-conflict note:
 *
 * - a task vector over half the base's norm: the model moved too far to still be a fine-tune
 *   of that base (unrelated models give about sqrt(2));
 * - two models' tensors over 45 degrees apart: nearly unrelated weights (independent models
 *   are about 90 degrees apart, fine-tunes of one base a few degrees);
 * - task vectors with cosine below -0.2: they undo each other, a sum cancels both;
 * - one task vector 3x the next largest: the merge is mostly that model unless weights say otherwise;
 * - sign conflict above 0.45 (0.5 is what unrelated signs give): TIES's sign election will
 *   drop much of the minority's values; normal for fine-tunes on different domains, so a note;
 * - TIES trimming away over half of a task vector's energy at the chosen density;
 * - a model identical to the base: it adds nothing.
 */
import type { AnalysisWarning, ModelTensorStats, TensorAnalysis, WarningKind } from './types.ts';

export const THRESHOLDS = {
  relNorm: 0.5,
  slerpDegrees: 45,
  cosine: -0.2,
  dominance: 3,
  signConflict: 0.45,
  trimmedEnergy: 0.5,
} as const;

interface Hit {
  readonly tensor: string;
  readonly value: number;
}

const fmt = (x: number, digits = 2): string => x.toFixed(digits);
const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;

/** The analysis's warnings, one per sign (and per model where the sign is a model's). */
export function analysisWarnings(
  tensors: readonly TensorAnalysis[],
  models: readonly string[],
  base: string | undefined,
  pair: readonly [string, string] | undefined,
): AnalysisWarning[] {
  const out: AnalysisWarning[] = [];
  const add = (
    kind: WarningKind,
    severity: AnalysisWarning['severity'],
    threshold: number,
    hits: readonly Hit[],
    largest: boolean,
    text: (worst: Hit, count: string) => string,
  ): void => {
    if (hits.length === 0) return;
    const worst = hits.reduce((a, b) => ((largest ? b.value > a.value : b.value < a.value) ? b : a));
    const count = `${hits.length} of ${tensors.length} tensors`;
    out.push({ kind, severity, message: text(worst, count), tensors: hits.length, threshold, worst });
  };
  const ofModel = (m: string, f: (s: ModelTensorStats) => number | undefined): Hit[] =>
    tensors.flatMap((t) => {
      const s = t.perModel.find((p) => p.model === m);
      const v = s && f(s);
      return v === undefined ? [] : [{ tensor: t.tensor, value: v }];
    });
  const ofMetric = (key: keyof TensorAnalysis['metrics'], keep: (v: number) => boolean): Hit[] =>
    tensors.flatMap((t) => {
      const v = t.metrics[key];
      return v !== null && keep(v) ? [{ tensor: t.tensor, value: v }] : [];
    });

  for (const m of models) {
    const far = ofModel(m, (s) => (s.relNorm > THRESHOLDS.relNorm ? s.relNorm : undefined));
    add(
      'far-apart',
      'warning',
      THRESHOLDS.relNorm,
      far,
      true,
      (w, c) =>
        `${m} drifted far from ${base}: its task vector is over ${THRESHOLDS.relNorm} of the base's norm in ${c} (largest ${fmt(w.value)} in ${w.tensor}). It may not be a fine-tune of this base; merges of models this far apart usually break.`,
    );
    const same = ofModel(m, (s) => (s.norm === 0 ? 0 : undefined));
    add(
      'unchanged',
      'note',
      0,
      same,
      true,
      (_w, c) =>
        `${m} equals ${base} in ${c}${same.length === tensors.length ? ' (all analysed)' : ''}: it adds nothing there.`,
    );
    const density = tensors[0]?.perModel.find((p) => p.model === m)?.density ?? 0;
    const trimHits = ofModel(m, (s) =>
      s.trimmedEnergy > THRESHOLDS.trimmedEnergy ? s.trimmedEnergy : undefined,
    );
    add(
      'trim-energy',
      'warning',
      THRESHOLDS.trimmedEnergy,
      trimHits,
      true,
      (w, c) =>
        `TIES at density ${fmt(density)}${tensors.some((t) => t.perModel.some((p) => p.model === m && p.density !== density)) ? ' (varies by tensor)' : ''} trims over half of ${m}'s task-vector energy in ${c} (up to ${pct(w.value)} in ${w.tensor}): raise its density.`,
    );
  }
  if (pair) {
    const wide = ofMetric('slerpDegrees', (v) => v > THRESHOLDS.slerpDegrees);
    add(
      'unrelated',
      'warning',
      THRESHOLDS.slerpDegrees,
      wide,
      true,
      (w, c) =>
        `${pair[0]} and ${pair[1]} are over ${THRESHOLDS.slerpDegrees}° apart in ${c} (up to ${fmt(w.value, 1)}° in ${w.tensor}): nearly unrelated weights, which interpolation turns into noise.`,
    );
  }
  const opposed = ofMetric('cosine', (v) => v < THRESHOLDS.cosine);
  add(
    'opposed',
    'warning',
    THRESHOLDS.cosine,
    opposed,
    false,
    (w, c) =>
      `The task vectors point against each other (cosine below ${THRESHOLDS.cosine}) in ${c} (down to ${fmt(w.value)} in ${w.tensor}): adding them cancels both.`,
  );
  for (const m of models) {
    const hits = tensors.flatMap((t) => {
      const norms = t.perModel.map((p) => p.norm).sort((a, b) => b - a);
      if (t.dominant !== m || !(norms[1]! > 0)) return [];
      const ratio = norms[0]! / norms[1]!;
      return ratio >= THRESHOLDS.dominance ? [{ tensor: t.tensor, value: ratio }] : [];
    });
    add(
      'dominant',
      'warning',
      THRESHOLDS.dominance,
      hits,
      true,
      (w, c) =>
        `${m} dominates: its task vector is at least ${THRESHOLDS.dominance}x the next largest in ${c} (up to ${fmt(w.value, 1)}x in ${w.tensor}); the merge will mostly be ${m} unless its weight is lowered.`,
    );
  }
  const conflicts = ofMetric('signConflict', (v) => v > THRESHOLDS.signConflict);
  add(
    'sign-conflict',
    'note',
    THRESHOLDS.signConflict,
    conflicts,
    true,
    (w, c) =>
      `Signs disagree on over ${pct(THRESHOLDS.signConflict)} of contested entries in ${c} (up to ${pct(w.value)} in ${w.tensor}; unrelated signs give 50%): TIES's sign election will drop much of the minority's values. Usual for fine-tunes on different domains.`,
  );
  return out;
}
