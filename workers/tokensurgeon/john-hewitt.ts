/**
 * mergekit's `john_hewitt` method (after John Hewitt's note on initialising new vocabulary):
 * each new row is a draw from the normal distribution with MODEL's mean row and covariance
 * (over every row of the matrix): mean + L z, with L the covariance's Cholesky factor and z
 * standard normal draws from ../rng.ts, keyed by the seed, the tensor and the donor token's id.
 *
 * When the covariance is not positive definite (fewer rows than the hidden size, or dead
 * dimensions), mergekit means to fall back to 0.02 x standard normal draws with a warning but
 * crashes on the way (`len()` of an int); the fallback runs here.
 */
import { choleskySteps } from '../linalg/cholesky.ts';
import type { Steps } from '../linalg/steps.ts';
import { normalAt } from '../rng.ts';
import { covariance, meanRow } from './embedding-stats.ts';
import type { Matrix } from './matrix.ts';

export const FALLBACK_SCALE = 0.02;

export interface JohnHewitt {
  /** Fills `dst` with the draw for stream index base (donor id x cols). */
  readonly sample: (key: number, base: number, dst: Float32Array) => void;
  /** Set when the covariance is not positive definite and the fallback draws are used. */
  readonly warning?: string;
}

export function* johnHewitt(orig: Matrix, tensorName: string): Steps<JohnHewitt> {
  const d = orig.cols;
  const mean = meanRow(orig);
  const l = yield* choleskySteps(yield* covariance(orig, mean), d);
  if (!l) {
    return {
      warning: `${tensorName}: the covariance of MODEL's rows is not positive definite: john_hewitt draws the new rows as ${FALLBACK_SCALE} x standard normal values instead`, // prettier-ignore
      sample: (key, base, dst) => {
        for (let j = 0; j < d; j++) dst[j] = FALLBACK_SCALE * normalAt(key, base + j);
      },
    };
  }
  const z = new Float64Array(d);
  return {
    sample: (key, base, dst) => {
      for (let j = 0; j < d; j++) z[j] = normalAt(key, base + j);
      for (let i = 0; i < d; i++) {
        let s = mean[i]!;
        for (let j = 0; j <= i; j++) s += l[i * d + j]! * z[j]!;
        dst[i] = s;
      }
    },
  };
}
