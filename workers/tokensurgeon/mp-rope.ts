/**
 * mp_rope: matching pursuit with a RoPE rotation per chosen atom (mergekit's batch_mp_rope,
 * mergekit/tokensurgeon/omp.py and rope_helpers.py). Each of the k steps picks the shared token
 * whose donor row has the largest absolute inner product with what is left of the target (as
 * omp), then the position p whose RoPE rotation of that row best lines up with the residual
 * (or with its negation, whichever |p| is smaller), and takes the rotated row's projection off
 * the residual. The k coefficients are then solved again by least squares over all rotated
 * rows, and the new row is the same combination of MODEL's rows of those tokens, each rotated
 * by the same p with MODEL's heads and rope_theta.
 *
 * The rotation is transformers' Llama RoPE applied to the whole row read as heads: pair d of a
 * head is (x[d], x[d + head_dim / 2]), turned by p · θ_d with θ_d = base^(-2d / head_dim),
 * head_dim = the row's width / num_attention_heads (mergekit's; config.head_dim is not read).
 * The position is mergekit's projection estimate: the per-pair angles atan2(B, A) projected on
 * the θ vector tiled over the heads, divided by √heads · |θ| (twice, with its 1e-8s).
 *
 * As omp here, float64 throughout where mergekit computes in float32.
 */
import { lstsq } from './lstsq.ts';
import { row, type Matrix } from './matrix.ts';
import { bestRow, pointsOf } from './omp.ts';
import type { RowScan } from './row-scan.ts';
import { TokenSurgeonError } from './errors.ts';

/** mergekit's eps: the smallest squared norm a rotated atom is divided by. */
const EPS = 1e-8;

/** What mp_rope reads from a config.json: the attention heads and RoPE's base. */
export interface RopeConfig {
  readonly heads: number;
  readonly base: number;
}

/** One side's rotation: heads, head size and the per-pair frequencies θ_d. */
export interface RopeSpace {
  readonly heads: number;
  readonly headDim: number;
  readonly invFreq: Float64Array;
  /** √heads · |θ|: the norm of θ tiled over the heads. */
  readonly tiledNorm: number;
}

const record = (x: unknown): Record<string, unknown> | undefined =>
  typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;

/**
 * num_attention_heads and rope_theta from a config.json (or its text_config; rope_theta also
 * from transformers 5's rope_parameters), rope_theta defaulting to Llama's 10000.
 */
export function ropeConfig(config: Record<string, unknown>, who: string): RopeConfig {
  const text = record(config['text_config']);
  const pick = (key: string): unknown => config[key] ?? text?.[key];
  const heads = pick('num_attention_heads');
  if (typeof heads !== 'number' || !Number.isInteger(heads) || heads < 1)
    throw new TokenSurgeonError(`mp_rope needs ${who}'s num_attention_heads, and its config.json has ${heads === undefined ? 'none' : JSON.stringify(heads)}: use another --approximation-method`); // prettier-ignore
  const base = pick('rope_theta') ?? record(pick('rope_parameters'))?.['rope_theta'] ?? 10000;
  if (typeof base !== 'number' || !(base > 0))
    throw new TokenSurgeonError(`mp_rope needs ${who}'s rope_theta to be a positive number, not ${JSON.stringify(base)}`); // prettier-ignore
  return { heads, base };
}

/** The rotation of `width`-wide rows under `c`, refused where the rows do not split into even heads. */
export function ropeSpace(c: RopeConfig, width: number, who: string): RopeSpace {
  const headDim = width / c.heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    throw new TokenSurgeonError(`mp_rope reads ${who}'s rows of ${width} values as ${c.heads} attention heads, which needs an even head size (${width} / ${c.heads} is ${+headDim.toFixed(3)}): use another --approximation-method`); // prettier-ignore
  const half = headDim / 2;
  const invFreq = Float64Array.from({ length: half }, (_, d) => 1 / c.base ** ((2 * d) / headDim));
  let sq = 0;
  for (const f of invFreq) sq += f * f;
  return { heads: c.heads, headDim, invFreq, tiledNorm: Math.sqrt(c.heads) * Math.sqrt(sq) };
}

/**
 * The position p such that rotating `x` by p best matches `sign` · `y` (mergekit's
 * estimate_position_id_projection).
 */
export function estimatePosition(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  sign: 1 | -1,
  s: RopeSpace,
): number {
  const half = s.headDim / 2;
  let projection = 0;
  for (let h = 0; h < s.heads; h++) {
    const o = h * s.headDim;
    for (let d = 0; d < half; d++) {
      const a = x[o + d]!;
      const b = x[o + half + d]!;
      const c = sign * y[o + d]!;
      const e = sign * y[o + half + d]!;
      projection += Math.atan2(a * e - b * c, a * c + b * e) * s.invFreq[d]!;
    }
  }
  return projection / (s.tiledNorm + 1e-8) / (s.tiledNorm + 1e-8);
}

/** `x` rotated by position `pos` into `out` (mergekit's apply_rope). */
export function rotate(x: ArrayLike<number>, pos: number, s: RopeSpace, out: Float64Array): Float64Array {
  const half = s.headDim / 2;
  for (let d = 0; d < half; d++) {
    const angle = pos * s.invFreq[d]!;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    for (let h = 0; h < s.heads; h++) {
      const i = h * s.headDim + d;
      const xi = x[i]!;
      const xj = x[i + half]!;
      out[i] = xi * cos - xj * sin;
      out[i + half] = xj * cos + xi * sin;
    }
  }
  return out;
}

export interface RopeCombination {
  readonly indices: readonly number[];
  readonly positions: Float64Array;
  readonly coeffs: Float64Array;
}

/** The k shared tokens, their positions and coefficients for `target` (donor side). */
export function mpRope(
  target: ArrayLike<number>,
  scan: Matrix | RowScan,
  k: number,
  s: RopeSpace,
): RopeCombination {
  const points = pointsOf(scan);
  const dim = points.cols;
  const chosen = new Uint8Array(points.rows);
  const indices: number[] = [];
  const positions = new Float64Array(k);
  const atoms = new Float64Array(k * dim); // the rotated atoms, row t for step t
  const residual = Float64Array.from({ length: dim }, (_, j) => target[j]!);
  for (let t = 0; t < k; t++) {
    const best = bestRow(scan, residual, chosen);
    chosen[best] = 1;
    indices.push(best);
    const p = row(points, best);
    const pos = estimatePosition(p, residual, 1, s);
    const neg = estimatePosition(p, residual, -1, s);
    positions[t] = Math.abs(pos) < Math.abs(neg) ? pos : neg;
    const atom = rotate(p, positions[t]!, s, atoms.subarray(t * dim, (t + 1) * dim));
    let num = 0;
    let sq = 0;
    for (let j = 0; j < dim; j++) {
      num += residual[j]! * atom[j]!;
      sq += atom[j]! * atom[j]!;
    }
    const c = num / Math.max(sq, EPS);
    for (let j = 0; j < dim; j++) residual[j] = residual[j]! - c * atom[j]!;
  }
  // mergekit's final_least_squares: the coefficients of all k rotated atoms at once
  const coeffs = lstsq((i, j) => atoms[j * dim + i]!, dim, k, target);
  return { indices, positions, coeffs };
}

/** Σ coeffs[t] · rotate(MODEL's row of indices[t], positions[t]) into `out`. */
export function combineRotated(c: RopeCombination, points: Matrix, s: RopeSpace, out: Float32Array): void {
  const acc = new Float64Array(points.cols);
  const rotated = new Float64Array(points.cols);
  c.indices.forEach((idx, t) => {
    rotate(row(points, idx), c.positions[t]!, s, rotated);
    const w = c.coeffs[t]!;
    for (let j = 0; j < acc.length; j++) acc[j] = acc[j]! + w * rotated[j]!;
  });
  out.set(acc);
}
