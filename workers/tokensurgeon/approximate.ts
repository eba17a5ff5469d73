/**
 * Embeddings for the donor tokens MODEL lacks (mergekit's compute_new_embeddings), one tensor
 * (embed or lm_head) at a time:
 *  - omp (mergekit's CLI default) and common_interpolation express each new token's donor
 *    embedding through the shared tokens' donor embeddings (./omp.ts,
 *    ./common-interpolation.ts), then apply those coefficients to MODEL's embeddings of the same
 *    shared tokens: so the two models' hidden sizes may differ;
 *  - mean: MODEL's mean embedding (over every row); zero; randn: standard normal draws.
 * Then --new-vocab-noise adds Gaussian noise of that standard deviation and --new-vocab-scale
 * multiplies, as mergekit does after every method.
 *
 * randn and the noise come from ../rng.ts (keyed by the seed, the tensor's name and the donor
 * token's id), not torch's generator: same distribution, other numbers, and the same numbers
 * whatever --batch-size.
 */
import { checkAbort } from '../engine/cancel.ts';
import { yieldToEventLoop } from '../engine/yield.ts';
import { normalAt, streamKey } from '../rng.ts';
import { commonInterpolation, type SparseCombination, type WeightScheme } from './common-interpolation.ts';
import { TokenSurgeonError } from './errors.ts';
import { gatherRows, row, type Matrix } from './matrix.ts';
import type { Vocab } from './match-tokens.ts';
import type { NormalizedToken } from './normalize-vocab.ts';
import { omp } from './omp.ts';

const YIELD_EVERY_MS = 50;

export const APPROXIMATION_METHODS = ['omp', 'common_interpolation', 'mean', 'zero', 'randn'] as const;
export type ApproximationMethod = (typeof APPROXIMATION_METHODS)[number];
/** mergekit's other methods, which we name in a clear refusal. */
export const UNSUPPORTED_METHODS = ['subword', 'john_hewitt', 'landmark_pca', 'stb', 'mp_rope'] as const;

export interface ApproximationOptions {
  readonly method: ApproximationMethod;
  readonly k: number;
  readonly cosineSimilarity: boolean;
  readonly weightScheme: WeightScheme;
  readonly newVocabNoise?: number;
  readonly newVocabScale?: number;
  /** Seed of randn and of the noise. */
  readonly seed: number;
  /**
   * Tokens between progress reports and cancellation checks at most (mergekit's --batch-size;
   * they also come every 50 ms; the results do not depend on it).
   */
  readonly batchSize: number;
}

export interface ApproximationInput {
  /** MODEL's and the donor's matrices (embed, or lm_head). */
  readonly orig: Matrix;
  readonly donor: Matrix;
  /** Both vocabularies, only the ids with a row in their matrix. */
  readonly origVocab: Vocab;
  readonly donorVocab: Vocab;
  readonly targets: readonly NormalizedToken[];
  /** The output tensor's name: keys randn and the noise. */
  readonly tensorName: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Refuses a -k above the shared tokens (the run's check, and the studio's plan's). */
export function checkK(k: number, shared: number): void {
  if (k > shared)
    throw new TokenSurgeonError(`-k ${k} is more than the ${shared} tokens the two vocabularies share: give a smaller -k`); // prettier-ignore
}

/** The shared tokens, in donor id order (mergekit sorts them so). */
export function sharedTokens(origVocab: Vocab, donorVocab: Vocab): NormalizedToken[] {
  return [...donorVocab.keys()]
    .filter((t) => origVocab.has(t))
    .sort((a, b) => donorVocab.get(a)! - donorVocab.get(b)!);
}

/** Σ coeffs[i] · points[indices[i]], into `out`. */
export function combine(c: SparseCombination, points: Matrix, out: Float32Array): void {
  const acc = new Float64Array(points.cols);
  c.indices.forEach((idx, i) => {
    const p = row(points, idx);
    const w = c.coeffs[i]!;
    for (let j = 0; j < acc.length; j++) acc[j] = acc[j]! + w * p[j]!;
  });
  out.set(acc);
}

export function columnMean(m: Matrix): Float32Array {
  const acc = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    const r = row(m, i);
    for (let j = 0; j < m.cols; j++) acc[j] = acc[j]! + r[j]!;
  }
  return Float32Array.from(acc, (x) => x / m.rows);
}

/** New rows, one per target token (targets.length x MODEL's hidden size). */
export async function approximateRows(
  input: ApproximationInput,
  options: ApproximationOptions,
): Promise<Matrix> {
  const { orig, donor, targets } = input;
  const cols = orig.cols;
  const out = new Float32Array(targets.length * cols);
  const donorId = (t: NormalizedToken): number => input.donorVocab.get(t)!;
  const key = (stream: number): number => streamKey(options.seed, input.tensorName, stream);
  // Gives the event loop a turn about every 50 ms: a cancel (Ctrl-C's handler, a worker's
  // message) can only arrive then, and an approximation can take hours.
  let turn = performance.now();
  const each = async (fill: (i: number, dst: Float32Array) => void): Promise<void> => {
    for (let i = 0; i < targets.length; i++) {
      if (i % options.batchSize === 0 || performance.now() - turn > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        turn = performance.now();
        checkAbort(input.signal);
        input.onProgress?.(i, targets.length);
      }
      fill(i, out.subarray(i * cols, (i + 1) * cols));
    }
  };
  if (options.method === 'mean') {
    const mean = columnMean(orig);
    await each((_, dst) => dst.set(mean));
  } else if (options.method === 'randn') {
    const k = key(0);
    await each((i, dst) => {
      const base = donorId(targets[i]!) * cols;
      for (let j = 0; j < cols; j++) dst[j] = normalAt(k, base + j);
    });
  } else if (options.method === 'omp' || options.method === 'common_interpolation') {
    const shared = sharedTokens(input.origVocab, input.donorVocab);
    checkK(options.k, shared.length);
    const donorShared = gatherRows(donor, shared.map(donorId));
    const origShared = gatherRows(
      orig,
      shared.map((t) => input.origVocab.get(t)!),
    );
    const metric = options.cosineSimilarity ? 'cosine' : 'euclidean';
    await each((i, dst) => {
      const target = row(donor, donorId(targets[i]!));
      const c =
        options.method === 'omp'
          ? omp(target, donorShared, options.k)
          : commonInterpolation(target, donorShared, options.k, metric, options.weightScheme);
      combine(c, origShared, dst);
    });
  } // zero: the rows stay 0
  const noise = options.newVocabNoise;
  if (noise) {
    const k = key(1);
    targets.forEach((t, i) => {
      const base = donorId(t) * cols;
      for (let j = 0; j < cols; j++) out[i * cols + j] = out[i * cols + j]! + noise * normalAt(k, base + j);
    });
  }
  const scale = options.newVocabScale;
  if (scale) for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
  input.onProgress?.(targets.length, targets.length);
  return { rows: targets.length, cols, data: out };
}
