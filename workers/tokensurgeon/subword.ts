/**
 * mergekit's `subword` method: a new token's text (its normalised form written back: a word
 * start becomes a leading space, a special token its role's name, as mergekit's
 * unnormalize_token does) is encoded by MODEL's own tokenizer, without special tokens, and the
 * row combines MODEL's rows of those pieces (-s, --subword-method):
 *  - mean (default) / sum of the rows;
 *  - weighted_mean: weights 1..n, the last piece weighted most in the embedding and the first
 *    in the head;
 *  - first_last: the last piece's row in the embedding, the first's in the head.
 * Text that encodes to no tokens gives a zero row.
 */
import { TokenSurgeonError } from './errors.ts';
import { row, type Matrix } from './matrix.ts';

export const SUBWORD_METHODS = ['mean', 'sum', 'weighted_mean', 'first_last'] as const;
export type SubwordMethod = (typeof SUBWORD_METHODS)[number];

export function subwordRow(
  text: string,
  ids: ArrayLike<number>,
  orig: Matrix,
  isLmHead: boolean,
  method: SubwordMethod,
  dst: Float32Array,
): void {
  const n = ids.length;
  for (let i = 0; i < n; i++)
    if (!(ids[i]! >= 0 && ids[i]! < orig.rows))
      throw new TokenSurgeonError(`MODEL's tokenizer encodes ${JSON.stringify(text)} with token id ${ids[i]}, but its matrix has only ${orig.rows} rows`); // prettier-ignore
  if (n === 0) return;
  if (method === 'first_last') {
    dst.set(row(orig, ids[isLmHead ? 0 : n - 1]!));
    return;
  }
  const acc = new Float64Array(orig.cols);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = method === 'weighted_mean' ? (isLmHead ? i + 1 : n - i) : 1;
    total += w;
    const r = row(orig, ids[i]!);
    for (let j = 0; j < acc.length; j++) acc[j] = acc[j]! + w * r[j]!;
  }
  const div = method === 'sum' ? 1 : total;
  for (let j = 0; j < acc.length; j++) dst[j] = acc[j]! / div;
}
