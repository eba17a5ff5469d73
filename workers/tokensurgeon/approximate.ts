/**
 * Embeddings for the donor tokens MODEL lacks (mergekit's compute_new_embeddings), one tensor
 * (embed or lm_head) at a time:
 *  - omp (mergekit's CLI default) and common_interpolation express each new token's donor
 *    embedding through the shared tokens' donor embeddings (./omp.ts,
 *    ./common-interpolation.ts), then apply those coefficients to MODEL's embeddings of the same
 *    shared tokens: so the two models' hidden sizes may differ; mp_rope (./mp-rope.ts) also
 *    turns each chosen row by a RoPE position, the same position on both sides;
 *  - landmark_pca and stb fit one linear map from DONOR's space to MODEL's on the shared tokens
 *    (./landmark-pca.ts, ./token-basis.ts) and send every new token's donor row through it;
 *  - subword: MODEL's rows of the pieces MODEL's tokenizer cuts the token's text into
 *    (./subword.ts);
 *  - mean: MODEL's mean embedding (over every row); zero; randn: standard normal draws;
 *    john_hewitt: draws from the normal distribution of MODEL's rows (./john-hewitt.ts).
 * Then --new-vocab-noise adds Gaussian noise of that standard deviation and --new-vocab-scale
 * multiplies, as mergekit does after every method.
 *
 * randn, john_hewitt and the noise come from ../rng.ts (keyed by the seed, the tensor's name
 * and the donor token's id), not torch's generator: same distribution, other numbers, and the
 * same numbers whatever --batch-size.
 */
import { checkAbort } from '../engine/cancel.ts';
import { yieldToEventLoop } from '../engine/yield.ts';
import type { Steps } from '../linalg/steps.ts';
import { normalAt, streamKey } from '../rng.ts';
import { applyAffine } from './affine-map.ts';
import { commonInterpolation, type SparseCombination, type WeightScheme } from './common-interpolation.ts';
import { meanRow } from './embedding-stats.ts';
import { TokenSurgeonError } from './errors.ts';
import { johnHewitt } from './john-hewitt.ts';
import { landmarkPcaMap } from './landmark-pca.ts';
import { combineRows, gatherRows, row, type Matrix } from './matrix.ts';
import type { Vocab } from './match-tokens.ts';
import { unnormalizeToken, type NormalizedToken } from './normalize-vocab.ts';
import { combineRotated, mpRope, ropeSpace, type RopeConfig } from './mp-rope.ts';
import { omp } from './omp.ts';
import { RowScan } from './row-scan.ts';
import { subwordRow, type SubwordMethod } from './subword.ts';
import { tokenBasisMap } from './token-basis.ts';

const YIELD_EVERY_MS = 50;

export const APPROXIMATION_METHODS = [
  'omp',
  'common_interpolation',
  'mp_rope',
  'landmark_pca',
  'stb',
  'subword',
  'mean',
  'zero',
  'randn',
  'john_hewitt',
] as const;
export type ApproximationMethod = (typeof APPROXIMATION_METHODS)[number];
/** The methods whose -k must not exceed the shared tokens. */
export const USES_K: ReadonlySet<ApproximationMethod> = new Set([
  'omp',
  'common_interpolation',
  'mp_rope',
  'stb',
]);
/** The methods whose new rows are built from the shared tokens' rows. */
export const READS_SHARED: ReadonlySet<ApproximationMethod> = new Set([...USES_K, 'landmark_pca']);
/** The methods that fit a model of the whole space (covariances, a map) before the new rows. */
export const FITS_A_MAP: ReadonlySet<ApproximationMethod> = new Set(['landmark_pca', 'stb', 'john_hewitt']);
/** Whether the method expresses each new token through nearby shared ones (and reads --cosine-similarity). */
export const interpolates = (m: ApproximationMethod): boolean => m === 'omp' || m === 'common_interpolation';
/** Whether the method's rows come from the seeded generator. */
export const draws = (m: ApproximationMethod): boolean => m === 'randn' || m === 'john_hewitt';

export interface ApproximationOptions {
  readonly method: ApproximationMethod;
  readonly k: number;
  readonly cosineSimilarity: boolean;
  readonly weightScheme: WeightScheme;
  /** How subword combines the pieces' rows (default mean). */
  readonly subwordMethod?: SubwordMethod;
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
  /** Whether this is the output head (subword's weighted_mean and first_last look). */
  readonly isLmHead: boolean;
  /** MODEL's tokenizer, without special tokens (subword only). */
  readonly encode?: (text: string) => ArrayLike<number>;
  /** Both models' attention heads and rope_theta (mp_rope only: ./mp-rope.ts ropeConfig). */
  readonly rope?: { readonly model: RopeConfig; readonly donor: RopeConfig };
  /** Donor ids --magikarp zeroes (stb leaves them out of its basis). */
  readonly junk?: ReadonlySet<number>;
  readonly onLog?: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Refuses a -k above the shared tokens (the run's check, and the studio's plan's). */
export function checkK(k: number, shared: number): void {
  if (k > shared)
    throw new TokenSurgeonError(`-k ${k} is more than the ${shared} tokens the two vocabularies share: give a smaller -k`); // prettier-ignore
}

/** The run's (and the plan's) checks of `method` against the shared tokens. */
export function checkShared(options: Pick<ApproximationOptions, 'method' | 'k'>, shared: number): void {
  if (USES_K.has(options.method)) checkK(options.k, shared);
  if (options.method === 'landmark_pca' && shared === 0)
    throw new TokenSurgeonError('landmark_pca needs tokens the two vocabularies share, and they share none'); // prettier-ignore
}

/** The shared tokens, in donor id order (mergekit sorts them so). */
export function sharedTokens(origVocab: Vocab, donorVocab: Vocab): NormalizedToken[] {
  return [...donorVocab.keys()]
    .filter((t) => origVocab.has(t))
    .sort((a, b) => donorVocab.get(a)! - donorVocab.get(b)!);
}

/** Σ coeffs[i] · points[indices[i]], into `out`. */
export function combine(c: SparseCombination, points: Matrix, out: Float32Array | Float64Array): void {
  out.set(combineRows(c.indices, c.coeffs, points));
}

export const columnMean = (m: Matrix): Float32Array => Float32Array.from(meanRow(m));

type Fill = (i: number, dst: Float32Array) => void;

/** Runs a fit's steps, giving the event loop a turn (and a cancel its chance) about every 50 ms. */
async function driven<T>(steps: Steps<T>, signal: AbortSignal | undefined): Promise<T> {
  let turn = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - turn > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      checkAbort(signal);
      turn = performance.now();
    }
  }
}

/** The shared tokens' ids on both sides, in donor id order, leaving out `skip`'s donor ids. */
function sharedIds(
  input: ApproximationInput,
  skip?: ReadonlySet<number>,
): { donor: number[]; orig: number[] } {
  const shared = sharedTokens(input.origVocab, input.donorVocab).filter(
    (t) => !skip?.has(input.donorVocab.get(t)!),
  );
  return {
    donor: shared.map((t) => input.donorVocab.get(t)!),
    orig: shared.map((t) => input.origVocab.get(t)!),
  };
}

/** The shared tokens' rows in both matrices, in sharedIds's order. */
function sharedRows(input: ApproximationInput, skip?: ReadonlySet<number>): { donor: Matrix; orig: Matrix } {
  const ids = sharedIds(input, skip);
  return { donor: gatherRows(input.donor, ids.donor), orig: gatherRows(input.orig, ids.orig) };
}

/** sharedRows with the donor side gathered into a RowScan (omp's and mp_rope's scans). */
function sharedScan(input: ApproximationInput): { scan: RowScan; orig: Matrix } {
  const ids = sharedIds(input);
  const fill = (i: number, dst: Float32Array): void => dst.set(row(input.donor, ids.donor[i]!));
  return {
    scan: RowScan.create(ids.donor.length, input.donor.cols, fill),
    orig: gatherRows(input.orig, ids.orig),
  };
}

/** Sets up `options.method` (fitting what it fits) and returns how it fills target i's row. */
async function rowFiller(
  input: ApproximationInput,
  options: ApproximationOptions,
): Promise<Fill | undefined> {
  const { orig, donor, targets } = input;
  const cols = orig.cols;
  const donorRow = (i: number): Float32Array => row(donor, input.donorVocab.get(targets[i]!)!);
  const base = (i: number): number => input.donorVocab.get(targets[i]!)! * cols;
  const key = streamKey(options.seed, input.tensorName, 0);
  switch (options.method) {
    case 'zero':
      return undefined;
    case 'mean': {
      const mean = columnMean(orig);
      return (_, dst) => dst.set(mean);
    }
    case 'randn':
      return (i, dst) => {
        for (let j = 0; j < cols; j++) dst[j] = normalAt(key, base(i) + j);
      };
    case 'john_hewitt': {
      const jh = await driven(johnHewitt(orig, input.tensorName), input.signal);
      if (jh.warning) input.onLog?.(`warning: ${jh.warning}`);
      return (i, dst) => jh.sample(key, base(i), dst);
    }
    case 'subword': {
      const encode = input.encode;
      if (!encode) throw new TokenSurgeonError("subword needs MODEL's tokenizer");
      const method = options.subwordMethod ?? 'mean';
      return (i, dst) => {
        const text = unnormalizeToken(targets[i]!);
        subwordRow(text, encode(text), orig, input.isLmHead, method, dst);
      };
    }
    case 'landmark_pca': {
      const shared = sharedRows(input);
      checkShared(options, shared.orig.rows);
      const map = await driven(landmarkPcaMap(shared.donor, shared.orig), input.signal);
      return (i, dst) => applyAffine(map, donorRow(i), dst);
    }
    case 'stb': {
      const shared = sharedRows(input, input.junk);
      checkShared(options, shared.orig.rows);
      const fit = tokenBasisMap(shared.donor, shared.orig, meanRow(donor), meanRow(orig), options.k);
      const map = await driven(fit, input.signal);
      return (i, dst) => applyAffine(map, donorRow(i), dst);
    }
    case 'mp_rope': {
      const rope = input.rope;
      if (!rope) throw new TokenSurgeonError("mp_rope needs both models' attention heads and rope_theta");
      const donorSpace = ropeSpace(rope.donor, donor.cols, 'the donor');
      const modelSpace = ropeSpace(rope.model, cols, 'MODEL');
      const shared = sharedRows(input);
      checkShared(options, shared.orig.rows);
      return (i, dst) =>
        combineRotated(
          mpRope(donorRow(i), shared.donor, options.k, donorSpace),
          shared.orig,
          modelSpace,
          dst,
        );
    }
    case 'omp':
    case 'common_interpolation': {
      const metric = options.cosineSimilarity ? 'cosine' : 'euclidean';
      if (options.method === 'omp') {
        const shared = sharedScan(input);
        checkShared(options, shared.orig.rows);
        return (i, dst) => combine(omp(donorRow(i), shared.scan, options.k), shared.orig, dst);
      }
      const shared = sharedRows(input);
      checkShared(options, shared.orig.rows);
      return (i, dst) =>
        combine(commonInterpolation(donorRow(i), shared.donor, options.k, metric, options.weightScheme), shared.orig, dst); // prettier-ignore
    }
  }
}

/** New rows, one per target token (targets.length x MODEL's hidden size). */
export async function approximateRows(
  input: ApproximationInput,
  options: ApproximationOptions,
): Promise<Matrix> {
  const { targets } = input;
  const cols = input.orig.cols;
  const out = new Float32Array(targets.length * cols);
  const fill = await rowFiller(input, options);
  // Gives the event loop a turn about every 50 ms: a cancel (Ctrl-C's handler, a worker's
  // message) can only arrive then, and an approximation can take hours. (zero: the rows stay 0)
  let turn = performance.now();
  const count = fill === undefined ? 0 : targets.length;
  for (let i = 0; i < count; i++) {
    if (i % options.batchSize === 0 || performance.now() - turn > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      turn = performance.now();
      checkAbort(input.signal);
      input.onProgress?.(i, targets.length);
    }
    fill?.(i, out.subarray(i * cols, (i + 1) * cols));
  }
  const noise = options.newVocabNoise;
  if (noise) {
    const k = streamKey(options.seed, input.tensorName, 1);
    targets.forEach((t, i) => {
      const base = input.donorVocab.get(t)! * cols;
      for (let j = 0; j < cols; j++) out[i * cols + j] = out[i * cols + j]! + noise * normalAt(k, base + j);
    });
  }
  const scale = options.newVocabScale;
  if (scale) for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
  input.onProgress?.(targets.length, targets.length);
  return { rows: targets.length, cols, data: out };
}
