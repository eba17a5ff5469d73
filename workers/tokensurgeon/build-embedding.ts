/**
 * One new embedding matrix in the donor's vocabulary order (mergekit's build_embedding_matrix):
 * rows of matched tokens copied from MODEL (./match-tokens.ts), the others approximated
 * (./approximate.ts), junk tokens zeroed. Token ids beyond a matrix's rows are dropped from
 * that side's vocabulary, with a warning, and a donor id beyond the donor matrix becomes junk.
 */
import { approximateRows, type ApproximationInput, type ApproximationOptions } from './approximate.ts';
import { matrix, row, type Matrix } from './matrix.ts';
import { assignRows, outputRows, withinRows, type AssignmentStats, type Vocab } from './match-tokens.ts';

export interface EmbeddingBuild {
  readonly tensorName: string;
  readonly orig: Matrix;
  readonly donor: Matrix;
  readonly origVocab: Vocab;
  readonly donorVocab: Vocab;
  /** Donor ids whose rows are zeroed (--magikarp). */
  readonly junk: readonly number[];
  readonly allowByte: boolean;
  readonly allowPrefix: boolean;
  /** Whether this is the output head. */
  readonly isLmHead: boolean;
  /** MODEL's tokenizer (the subword method). */
  readonly encode?: (text: string) => ArrayLike<number>;
  /** Both models' heads and rope_theta (the mp_rope method). */
  readonly rope?: ApproximationInput['rope'];
  readonly signal?: AbortSignal;
  readonly onLog?: (line: string) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface BuiltEmbedding {
  readonly matrix: Matrix;
  readonly stats: AssignmentStats;
  readonly junk: number;
}

export function statsLine(name: string, s: AssignmentStats): string {
  const parts = [
    s.exact && `${s.exact} exact`,
    s.byte && `${s.byte} byte`,
    s.prefix && `${s.prefix} prefix`,
    s.toApproximate && `${s.toApproximate} to approximate`,
  ].filter((p) => p !== 0);
  return `${name}: ${parts.join(', ') || 'no tokens'} (${s.exact + s.byte + s.prefix + s.toApproximate} in all)`;
}

export async function buildEmbedding(
  b: EmbeddingBuild,
  options: ApproximationOptions,
): Promise<BuiltEmbedding> {
  const outRows = outputRows(b.donorVocab);
  const origVocab = withinRows(b.origVocab, b.orig.rows);
  const donorVocab = withinRows(b.donorVocab, b.donor.rows);
  const junk = new Set(b.junk);
  const droppedOrig = b.origVocab.size - origVocab.size;
  const droppedDonor = b.donorVocab.size - donorVocab.size;
  if (droppedOrig) b.onLog?.(`warning: ${b.tensorName}: skipping ${droppedOrig} of MODEL's token ids that have no row (>= ${b.orig.rows})`); // prettier-ignore
  if (droppedDonor) {
    b.onLog?.(`warning: ${b.tensorName}: skipping ${droppedDonor} of the donor's token ids that have no row (>= ${b.donor.rows}); their rows are zero`); // prettier-ignore
    for (const id of b.donorVocab.values()) if (id >= b.donor.rows) junk.add(id);
  }
  const { source, newTokens, stats } = assignRows(donorVocab, origVocab, outRows, b.allowByte, b.allowPrefix);
  b.onLog?.(statsLine(b.tensorName, stats));
  const out = matrix(outRows, b.orig.cols);
  for (let i = 0; i < outRows; i++) {
    const src = source[i]!;
    if (src >= 0) out.data.set(row(b.orig, src), i * b.orig.cols);
  }
  if (newTokens.length > 0) {
    const rows = await approximateRows(
      {
        orig: b.orig,
        donor: b.donor,
        origVocab,
        donorVocab,
        targets: newTokens,
        tensorName: b.tensorName,
        isLmHead: b.isLmHead,
        junk,
        ...(b.encode && { encode: b.encode }),
        ...(b.rope && { rope: b.rope }),
        ...(b.onLog && { onLog: b.onLog }),
        ...(b.signal && { signal: b.signal }),
        ...(b.onProgress && { onProgress: b.onProgress }),
      },
      options,
    );
    newTokens.forEach((t, i) => out.data.set(row(rows, i), donorVocab.get(t)! * b.orig.cols));
  }
  for (const id of junk) if (id < outRows) out.data.fill(0, id * b.orig.cols, (id + 1) * b.orig.cols);
  return { matrix: out, stats, junk: junk.size };
}
