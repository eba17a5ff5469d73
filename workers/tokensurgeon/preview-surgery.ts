/**
 * What a tokensurgeon run will do, from the two models' headers and tokenizer files alone (no
 * weight is read, nothing approximated): both vocabularies' sizes, how many of the donor's
 * tokens each rebuilt matrix takes from MODEL (exact, byte or prefix matches) and how many it
 * must approximate, the output's vocabulary and size. The studio shows it before Transplant
 * (src/features/tokensurgeon) through the merge worker's `planTokenSurgeon`. The checks are
 * the run's own (./run-tokensurgeon.ts): a model without tokenizer.json or embedding, or a -k
 * above the shared vocabulary, is refused here with the run's message.
 *
 * --magikarp leaves badly trained tokens out of the shared ones, which needs the weights: the
 * counts here are before that filter, and the summary says so.
 */
import { planShards } from '../engine/shards.ts';
import type { WritableDType } from '../io/dtypes.ts';
import { loadModel, type LoadedModel } from '../io/load-model.ts';
import type { ModelSource } from '../io/source.ts';
import { checkShared, FITS_A_MAP, sharedTokens } from './approximate.ts';
import { embeddingNames, headlessWarning, matrixShape } from './embedding-tensors.ts';
import { assignRows, outputRows, withinRows, type AssignmentStats } from './match-tokens.ts';
import { readModelVocabulary, type ModelVocabulary } from './read-vocab.ts';
import { applies, ropeConfigs, type SurgeryOptions } from './run-tokensurgeon.ts';

export interface PlannedMatrix {
  readonly name: string;
  readonly stats: AssignmentStats;
  /** The tokens the two vocabularies share for this matrix (what READS_SHARED's methods build from). */
  readonly shared: number;
}

export interface SurgeryPlanSummary {
  readonly modelVocab: number;
  readonly donorVocab: number;
  /** Rows of the rebuilt matrices: the output's vocab_size. */
  readonly outputVocab: number;
  /** MODEL's hidden size (the embedding's columns) and the donor's. */
  readonly hidden: number;
  readonly donorHidden: number;
  /** The input embedding, then the output head unless MODEL ties it to the embedding. */
  readonly matrices: readonly PlannedMatrix[];
  readonly tensors: number;
  readonly shards: number;
  readonly outputBytes: number;
  /**
   * What the run holds whole, as float32: both models' embedding and head, and the new ones
   * (./run-tokensurgeon.ts); everything else streams a tensor at a time.
   */
  readonly memoryBytes: number;
  readonly warnings: readonly string[];
}

/** How the preview opens models and reads vocabularies (the plan worker caches both). */
export interface PreviewIo {
  readonly load: (source: ModelSource, signal?: AbortSignal) => Promise<LoadedModel>;
  readonly vocabulary: (model: LoadedModel, signal?: AbortSignal) => Promise<ModelVocabulary>;
}

const FRESH: PreviewIo = { load: loadModel, vocabulary: readModelVocabulary };

export async function previewSurgery(
  modelSource: ModelSource,
  donorSource: ModelSource,
  options: SurgeryOptions,
  opts: { readonly maxShardBytes?: number; readonly signal?: AbortSignal; readonly io?: PreviewIo } = {},
): Promise<SurgeryPlanSummary> {
  const { signal, io = FRESH } = opts;
  const [model, donor] = await Promise.all([io.load(modelSource, signal), io.load(donorSource, signal)]);
  const [origVocab, donorVocab] = await Promise.all([
    io.vocabulary(model, signal),
    io.vocabulary(donor, signal),
  ]);
  const warnings = [
    ...(modelSource.notes ?? []),
    ...(donorSource.notes ?? []),
    ...origVocab.warnings,
    ...donorVocab.warnings,
  ];
  const names = embeddingNames(model);
  const donorNames = embeddingNames(donor);
  const [origRows, hidden] = matrixShape(model, names.embed);
  const [donorRows, donorHidden] = matrixShape(donor, donorNames.embed);
  ropeConfigs(options.method, { config: model.config, width: hidden }, { config: donor.config, width: donorHidden }); // prettier-ignore
  const outRows = outputRows(donorVocab.vocab);
  const plan = (name: string, to: 'embed' | 'lm_head', rows: number, dRows: number): PlannedMatrix => {
    const orig = withinRows(origVocab.vocab, rows);
    const don = withinRows(donorVocab.vocab, dRows);
    const { stats } = assignRows(don, orig, outRows, applies(options.byteMatch, to), applies(options.prefixMatch, to)); // prettier-ignore
    const shared = sharedTokens(orig, don).length;
    if (stats.toApproximate > 0 && !options.magikarp) checkShared(options, shared);
    return { name, stats, shared };
  };
  const matrices = [plan(names.embed, 'embed', origRows, donorRows)];
  // Elements held whole: MODEL's and the donor's embedding, the new one; then the heads.
  let held = origRows * hidden + donorRows * donorHidden + outRows * hidden;
  if (names.lmHead) {
    const headDonor = donorNames.lmHead ?? donorNames.embed;
    const [headRows, headCols] = matrixShape(model, names.lmHead);
    const [donorHeadRows, donorHeadCols] = matrixShape(donor, headDonor);
    matrices.push(plan(names.lmHead, 'lm_head', headRows, donorHeadRows));
    held += headRows * headCols + donorHeadRows * donorHeadCols + outRows * headCols;
  }
  if (FITS_A_MAP.has(options.method)) {
    // the shared tokens' rows gathered from both sides, and a few d x d float64 matrices
    const d = Math.max(hidden, donorHidden);
    held += Math.max(...matrices.map((m) => m.shared)) * (hidden + donorHidden) + 8 * d * d;
  }
  const headless = headlessWarning(model, names);
  if (headless) warnings.push(headless);
  const rebuilt = new Set(matrices.map((m) => m.name));
  const tensors = [...model.tensors].map(([name, t]) => ({
    name,
    dtype: t.dtype as WritableDType,
    shape: rebuilt.has(name) ? [outRows, t.shape[1]!] : t.shape,
  }));
  const shards = planShards(tensors, opts.maxShardBytes);
  return {
    modelVocab: origVocab.size,
    donorVocab: donorVocab.size,
    outputVocab: outRows,
    hidden,
    donorHidden,
    matrices,
    tensors: tensors.length,
    shards: shards.length,
    outputBytes: shards.reduce((s, p) => s + p.layout.totalSize, 0),
    memoryBytes: held * 4,
    warnings,
  };
}
