/**
 * mergekit's warn_degenerate_gates (router.py): a layer whose router matrix has a 2-norm
 * condition number (largest over smallest singular value, torch.linalg.cond) above 5 has rows
 * so alike that some experts will rarely be picked. The singular values are the square roots of
 * the eigenvalues of the small Gram matrix (experts x experts) (../linalg/symmetric-eigen.ts).
 */
import { symmetricEigen } from '../linalg/symmetric-eigen.ts';

/** The 2-norm condition number of a rows x cols matrix (Infinity when it is rank-deficient). */
export function conditionNumber(m: Float32Array, rows: number, cols: number): number {
  // The Gram matrix of the smaller side has the squared singular values as eigenvalues.
  const n = Math.min(rows, cols);
  const at =
    rows <= cols ? (i: number, k: number) => m[i * cols + k]! : (i: number, k: number) => m[k * cols + i]!;
  const inner = Math.max(rows, cols);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < inner; k++) s += at(i, k) * at(j, k);
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  const eig = symmetricEigen(g, n, false).values;
  const max = Math.max(...eig);
  const min = Math.min(...eig);
  // Below float32's resolution relative to the largest: numerically zero, as torch's SVD finds.
  if (!(max > 0) || min <= max * 1e-14) return Infinity;
  return Math.sqrt(max / min);
}

/** The layers whose router is degenerate (condition number above `threshold`). */
export function degenerateLayers(
  gates: readonly Float32Array[],
  numExperts: number,
  threshold = 5,
): number[] {
  const out: number[] = [];
  for (const [l, rows] of gates.entries()) {
    const hidden = rows.length / numExperts;
    if (conditionNumber(rows, numExperts, hidden) > threshold) out.push(l);
  }
  return out;
}

/** mergekit's warning for those layers, or undefined when there are none. */
export function degenerateWarning(layers: readonly number[], numLayers: number): string | undefined {
  if (layers.length === 0) return undefined;
  let what: string;
  if (layers.length === 1) what = `layer ${layers[0]} has`;
  else if (layers.length === 2) what = `layers ${layers[0]} and ${layers[1]} have`;
  else if (layers.length >= numLayers) what = 'ALL layers have';
  else what = `layers ${layers.slice(0, -1).join(', ')}, and ${layers[layers.length - 1]} have`;
  return `${what} degenerate routing parameters - your prompts may be too similar. One or more experts will be underutilized in your model.`;
}
