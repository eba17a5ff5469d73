/**
 * Mean cross-entropy of a model on a text, in nats per token, as test-data/tinymix/FIXTURES.md
 * defines it: non-overlapping windows of 128 tokens, no `<s>`, window i reads tokens
 * [128 i, 128 i + 128) and predicts [128 i + 1, 128 i + 129), for i < floor((n - 1) / 128);
 * the loss is the mean over all predicted tokens. Consecutive windows are consecutive token
 * ranges, so a batch of windows is one slice of the token array.
 *
 * `windows: K` evaluates only K windows (a fast preview): the first K, or with `pick: 'spread'`
 * K windows evenly spaced over the text, which tracks the full loss far better on texts that
 * are not uniform (docs/eval.md has the measurements).
 */
import { EvalInputError, throwIfAborted } from './errors.ts';
import type { VectorOps } from './kernels/vector-ops.ts';
import type { Decoder } from './model/decoder.ts';
import { nextMacrotask } from './scheduling.ts';

/** Tokens per window (the fixtures' definition). */
export const WINDOW_TOKENS = 128;

export interface LossOptions {
  /** Tokens per window (default 128). The decoder's context must hold it. */
  readonly windowTokens?: number;
  /** Evaluate only K windows. */
  readonly windows?: number;
  /** Which K: the first (default) or evenly spread over the text. */
  readonly pick?: WindowPick;
  readonly signal?: AbortSignal;
  /** After each batch: windows done, windows to do. */
  readonly onProgress?: (done: number, total: number) => void;
}

export type WindowPick = 'first' | 'spread';

export interface TextLoss {
  /** Mean nats per predicted token. */
  readonly loss: number;
  /** Windows evaluated. */
  readonly windows: number;
  /** Windows the text has. */
  readonly available: number;
  /** Predicted tokens (windows x window length). */
  readonly tokens: number;
  /** Index of each evaluated window in the text. */
  readonly windowIndices: Int32Array;
  /** Mean loss of each evaluated window. */
  readonly windowLosses: Float64Array;
}

export function windowCount(tokens: number, windowTokens = WINDOW_TOKENS): number {
  return Math.max(0, Math.floor((tokens - 1) / windowTokens));
}

/** The indices of `k` of `n` windows: 0..k-1, or floor(i n / k) (window 0 and evenly spaced). */
export function pickWindows(n: number, k: number, pick: WindowPick = 'first'): Int32Array {
  const m = Math.min(n, k);
  return Int32Array.from({ length: m }, (_, i) => (pick === 'spread' ? Math.floor((i * n) / m) : i));
}

/** log(sum(exp(x))) - x[target] of one row of logits (the row is overwritten). */
function rowNll(vec: VectorOps, logits: Float32Array, offset: number, vocab: number, target: number): number {
  let max = -Infinity;
  for (let j = 0; j < vocab; j++) if (logits[offset + j]! > max) max = logits[offset + j]!;
  const x = logits[offset + target]!;
  return max + Math.log(vec.expSum(logits, offset, vocab, max, 1)) - x;
}

export async function textLoss(
  decoder: Decoder,
  ids: Int32Array,
  options: LossOptions = {},
): Promise<TextLoss> {
  const w = options.windowTokens ?? WINDOW_TOKENS;
  const available = windowCount(ids.length, w);
  const k = options.windows;
  if (k !== undefined && !(Number.isInteger(k) && k > 0)) {
    throw new EvalInputError(`the number of windows must be a positive integer (got ${k})`);
  }
  const n = Math.min(available, k ?? available);
  if (n === 0) {
    throw new EvalInputError(`the text has ${ids.length} tokens; one window of ${w} needs at least ${w + 1}`);
  }
  const batch = Math.floor(decoder.options.maxRows / w);
  if (batch < 1 || decoder.options.context < w) {
    throw new EvalInputError(
      `this evaluator holds ${decoder.options.maxRows} rows, fewer than a window of ${w}`,
    );
  }
  const picked = pickWindows(available, n, options.pick);
  const vocab = decoder.config.vocabSize;
  for (const win of picked) {
    for (let i = win * w; i <= win * w + w; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < vocab)) throw new EvalInputError(`token id ${id} at ${i} is outside the vocabulary (0..${vocab - 1})`); // prettier-ignore
    }
  }
  const hiddenSize = decoder.config.hidden;
  const sums = new Float64Array(n);
  const inputs = new Int32Array(batch * w);
  for (let b0 = 0; b0 < n; b0 += batch) {
    throwIfAborted(options.signal);
    const bs = Math.min(batch, n - b0);
    const rows = bs * w;
    for (let b = 0; b < bs; b++)
      inputs.set(ids.subarray(picked[b0 + b]! * w, picked[b0 + b]! * w + w), b * w);
    const hidden = decoder.forward(inputs, bs, w);
    for (let r0 = 0; r0 < rows; r0 += decoder.logitRows) {
      const count = Math.min(decoder.logitRows, rows - r0);
      const logits = decoder.logits(hidden.subarray(r0 * hiddenSize), count);
      for (let r = 0; r < count; r++) {
        const row = r0 + r;
        const b = Math.floor(row / w);
        const target = ids[picked[b0 + b]! * w + (row % w) + 1]!;
        sums[b0 + b]! += rowNll(decoder.vec, logits, r * vocab, vocab, target);
      }
    }
    options.onProgress?.(b0 + bs, n);
    if (options.signal || options.onProgress) await nextMacrotask();
  }
  throwIfAborted(options.signal);
  let total = 0;
  for (const s of sums) total += s;
  return {
    loss: total / (n * w),
    windows: n,
    available,
    tokens: n * w,
    windowIndices: picked,
    windowLosses: sums.map((s) => s / w),
  };
}
