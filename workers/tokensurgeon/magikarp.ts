/**
 * --magikarp: leave badly trained tokens out (mergekit/tokensurgeon/magikarp.py, after "Fishing
 * for Magikarp: Automatically Detecting Under-trained Tokens in Large Language Models",
 * https://arxiv.org/abs/2405.05417). A token is badly trained when its id has no token
 * (padding rows), its text says unused ("unused_token", "reserved_special_token"), its input
 * embedding's norm is below the 1% quantile (only when the model has a separate head), or its
 * embedding (input, and output when there is a head) is closer in cosine to the unused tokens'
 * mean than the 99% quantile, at least 0.5.
 *
 * mergekit then copies only tokens well trained in both models, zeroes the donor's tokens
 * badly trained in both, and approximates the rest (./run-tokensurgeon.ts).
 */
import { norm, row, type Matrix } from './matrix.ts';
import type { Vocab } from './match-tokens.ts';
import { unnormalizeToken, type NormalizedToken } from './normalize-vocab.ts';

const QUANTILE = 0.01;
/** torch.nn.functional.cosine_similarity's eps on each norm. */
const COS_EPS = 1e-8;
const MIN_SIMILARITY = 0.5;

/** torch.quantile's default ("linear") interpolation. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const v = Float64Array.from(values).sort();
  const pos = q * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

function meanOf(m: Matrix, rows: Iterable<number>): Float64Array {
  const acc = new Float64Array(m.cols);
  let n = 0;
  for (const r of rows) {
    row(m, r).forEach((x, j) => (acc[j] = acc[j]! + x));
    n++;
  }
  return acc.map((x) => x / n);
}

function cosines(m: Matrix, v: Float64Array): Float64Array {
  let vn = 0;
  for (const x of v) vn += x * x;
  vn = Math.max(Math.sqrt(vn), COS_EPS);
  return Float64Array.from({ length: m.rows }, (_, i) => {
    const r = row(m, i);
    let d = 0;
    let n = 0;
    for (let j = 0; j < m.cols; j++) {
      d += r[j]! * v[j]!;
      n += r[j]! * r[j]!;
    }
    return d / (Math.max(Math.sqrt(n), COS_EPS) * vn);
  });
}

/** mergekit's well_trained_tokens: the tokens of `vocab` not found badly trained. */
export function wellTrainedTokens(
  vocab: Vocab,
  embed: Matrix,
  lmHead: Matrix | undefined,
): Set<NormalizedToken> {
  const ids = new Set(vocab.values());
  const unused = new Set<number>();
  for (let i = 0; i < embed.rows; i++) if (!ids.has(i)) unused.add(i);
  for (const [tok, id] of vocab) {
    const text = unnormalizeToken(tok);
    const unusedText = text.includes('unused_token') || text.includes('reserved_special_token');
    if (unusedText && id < embed.rows) unused.add(id);
  }
  const bad = new Set(unused);
  if (lmHead) {
    const norms = Float64Array.from({ length: embed.rows }, (_, i) => norm(row(embed, i)));
    const threshold = quantile(norms, QUANTILE);
    norms.forEach((x, i) => x < threshold && bad.add(i));
  }
  const similar = (m: Matrix): void => {
    const sims = cosines(m, meanOf(m, unused));
    const threshold = Math.max(quantile(sims, 1 - QUANTILE), MIN_SIMILARITY);
    sims.forEach((x, i) => x > threshold && bad.add(i));
  };
  if (unused.size > 0) {
    similar(embed);
    if (lmHead) similar(lmHead);
  }
  return new Set([...vocab].filter(([, id]) => !bad.has(id)).map(([tok]) => tok));
}

export interface JunkFilter {
  /** MODEL's vocabulary, only tokens well trained in both models. */
  readonly origVocab: Map<NormalizedToken, number>;
  /** Donor ids badly trained in both: zeroed. */
  readonly junk: number[];
}

export function junkFilter(
  orig: { vocab: Vocab; embed: Matrix; lmHead: Matrix | undefined },
  donor: { vocab: Vocab; embed: Matrix; lmHead: Matrix | undefined },
): JunkFilter {
  const goodOrig = wellTrainedTokens(orig.vocab, orig.embed, orig.lmHead);
  const goodDonor = wellTrainedTokens(donor.vocab, donor.embed, donor.lmHead);
  return {
    origVocab: new Map([...orig.vocab].filter(([t]) => goodOrig.has(t) && goodDonor.has(t))),
    junk: [...donor.vocab].filter(([t]) => !goodDonor.has(t) && !goodOrig.has(t)).map(([, id]) => id),
  };
}
