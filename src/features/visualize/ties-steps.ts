/**
 * TIES, step by step (Yadav et al., https://arxiv.org/abs/2306.01708): trim each task vector
 * to its largest entries, elect a sign per entry, average the entries that agree. Every step is
 * the engine's own code: the trim is the family's magnitude sparsifier, the elected signs are
 * read off the `ties` kernel run on the trimmed vectors (without normalising, each output entry
 * is the sum of the agreeing weighted entries, so its sign is the elected one and it is 0 only
 * where nothing is left to vote), and the result is the `ties` kernel's output on the untrimmed
 * models, exactly as a merge computes it.
 */
import { sparsify } from '../../../workers/methods/shared/sparsify.ts';
import { sub } from '../../../workers/methods/shared/vec.ts';
import { runKernel } from './engine-kernels.ts';

export interface TiesSettings {
  /** Per model, aligned with the models. */
  readonly weights: readonly number[];
  readonly densities: readonly number[];
  readonly normalize: boolean;
  readonly lambda: number;
  readonly rescale: boolean;
}

export interface TiesSteps {
  /** Task vectors: each model minus the base. */
  readonly deltas: readonly Float32Array[];
  /** Step 1: each task vector trimmed to its largest-magnitude entries. */
  readonly trimmed: readonly Float32Array[];
  /** Step 2: the elected sign per entry, 1 or -1, or 0 where every trimmed entry is 0. */
  readonly elected: Int8Array;
  /** Per model and entry: 1 where the trimmed entry is kept and agrees with the elected sign. */
  readonly agrees: readonly Uint8Array[];
  /** Step 3: the merged task vector (the ties kernel's output minus the base). */
  readonly merged: Float32Array;
  /** For comparison: the weighted average of the untrimmed task vectors (task arithmetic, normalised). */
  readonly average: Float32Array;
  readonly warnings: readonly string[];
}

export function tiesSteps(
  base: Float32Array,
  models: readonly Float32Array[],
  s: TiesSettings,
  shape: readonly number[] = [base.length],
): TiesSteps {
  const n = base.length;
  const deltas = models.map((m) => sub(m, base));
  const warnings: string[] = [];
  const trimmed = deltas.map((d, k) => {
    const t = d.slice();
    const w = sparsify(t, 'magnitude', { density: s.densities[k] ?? 1, rescale: s.rescale, shape });
    if (w) warnings.push(`input ${k + 1}: ${w}`);
    return t;
  });
  const votes = runKernel({
    method: 'ties',
    base: new Float32Array(n),
    inputs: trimmed,
    shape,
    global: { normalize: false, lambda: 1 },
    perModel: s.weights.map((weight) => ({ weight, density: 1 })),
  }).out;
  const elected = Int8Array.from(votes, (v) => Math.sign(v));
  const agrees = trimmed.map((t, k) =>
    Uint8Array.from(t, (x, i) => (x !== 0 && Math.sign((s.weights[k] ?? 1) * x) === elected[i] ? 1 : 0)),
  );
  const tiesRun = runKernel({
    method: 'ties',
    base,
    inputs: models,
    shape,
    global: { normalize: s.normalize, lambda: s.lambda, rescale: s.rescale },
    perModel: s.weights.map((weight, k) => ({ weight, density: s.densities[k] ?? 1 })),
  });
  warnings.push(...tiesRun.warnings.filter((w) => !warnings.includes(w)));
  const average = runKernel({
    method: 'task_arithmetic',
    base,
    inputs: models,
    shape,
    global: { normalize: true, lambda: 1 },
    perModel: s.weights.map((weight) => ({ weight })),
  }).out;
  return {
    deltas,
    trimmed,
    elected,
    agrees,
    merged: sub(tiesRun.out, base),
    average: sub(average, base),
    warnings,
  };
}
