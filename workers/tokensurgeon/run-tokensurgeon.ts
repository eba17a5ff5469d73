/**
 * mergekit-tokensurgeon: MODEL with the donor's tokenizer. The input embedding and the output
 * head are rebuilt in the donor's vocabulary order (./build-embedding.ts), every other tensor
 * is copied unchanged (./write-output.ts), the donor's tokenizer files are copied and
 * config.json takes the donor's vocabulary size and special token ids (./output-config.ts).
 *
 * Memory: four embedding-sized float32 matrices (MODEL's and the donor's embed and lm_head)
 * plus the two new ones; everything else streams a tensor at a time.
 *
 * Tied embeddings, as mergekit: a MODEL without a head tensor gets only its embedding rebuilt
 * (the head stays tied); a donor without one lends its embedding as the head's donor side.
 */
import { checkAbort } from '../engine/cancel.ts';
import { loadTokenizer } from '../eval/text/tokenizer.ts';
import { loadModel } from '../io/load-model.ts';
import type { ModelSource, OutputSink } from '../io/source.ts';
import type { OutputFileInfo } from '../protocol.ts';
import type { ApproximationInput, ApproximationOptions } from './approximate.ts';
import { buildEmbedding, type BuiltEmbedding } from './build-embedding.ts';
import { embeddingNames, headlessWarning, matrixShape, readMatrix } from './embedding-tensors.ts';
import { junkFilter } from './magikarp.ts';
import { ropeConfig, ropeSpace } from './mp-rope.ts';
import type { Matrix } from './matrix.ts';
import type { AssignmentStats } from './match-tokens.ts';
import { outputConfig } from './output-config.ts';
import { readModelVocabulary } from './read-vocab.ts';
import { surgeryTracker, type SurgeryProgress } from './surgery-progress.ts';
import { writeOutput } from './write-output.ts';

/** Which matrices a --byte-match / --prefix-match applies to. */
export const ALLOW_MATCH = ['no', 'yes', 'embed', 'lm_head'] as const;
export type AllowMatch = (typeof ALLOW_MATCH)[number];

export interface SurgeryOptions extends ApproximationOptions {
  readonly byteMatch: AllowMatch;
  readonly prefixMatch: AllowMatch;
  /** Leave badly trained tokens out (./magikarp.ts). */
  readonly magikarp?: boolean;
}

export interface TokenSurgeonJob {
  readonly model: ModelSource;
  readonly donor: ModelSource;
  readonly sink: OutputSink;
  readonly options: SurgeryOptions;
  readonly maxShardBytes?: number;
  readonly signal?: AbortSignal;
  readonly onLog?: (line: string) => void;
  /** Throttled progress (./surgery-progress.ts): the studio's; the CLI logs instead. */
  readonly onProgress?: (p: SurgeryProgress) => void;
  readonly progressIntervalMs?: number;
}

export interface TokenSurgeonResult {
  readonly vocabSize: number;
  readonly embed: { readonly name: string; readonly stats: AssignmentStats };
  readonly lmHead: { readonly name: string; readonly stats: AssignmentStats } | undefined;
  readonly files: readonly OutputFileInfo[];
  readonly tensors: number;
  readonly resumedShards: number;
  readonly warnings: readonly string[];
  readonly elapsedMs: number;
}

/** How often a long approximation says how far it is. */
const PROGRESS_EVERY_MS = 10_000;

function progressLog(name: string, log: (line: string) => void): (done: number, total: number) => void {
  let last = Date.now();
  return (done, total) => {
    if (done === 0 || done === total || Date.now() - last < PROGRESS_EVERY_MS) return;
    last = Date.now();
    log(`${name}: approximated ${done} of ${total} tokens`);
  };
}

/**
 * mp_rope's heads and rope_theta from both config.json files, refused before any weight is read
 * when one lacks them or its embedding's width does not split into even heads.
 */
export function ropeConfigs(
  method: SurgeryOptions['method'],
  model: { readonly config: Record<string, unknown>; readonly width: number },
  donor: { readonly config: Record<string, unknown>; readonly width: number },
): ApproximationInput['rope'] {
  if (method !== 'mp_rope') return undefined;
  const rope = { model: ropeConfig(model.config, 'MODEL'), donor: ropeConfig(donor.config, 'the donor') };
  ropeSpace(rope.model, model.width, 'MODEL');
  ropeSpace(rope.donor, donor.width, 'the donor');
  return rope;
}

/** Whether a --byte-match / --prefix-match value applies to this matrix. */
export const applies = (m: AllowMatch, to: 'embed' | 'lm_head'): boolean => m === 'yes' || m === to;

export async function runTokenSurgeon(job: TokenSurgeonJob): Promise<TokenSurgeonResult> {
  const started = Date.now();
  const { signal, options } = job;
  const warnings: string[] = [];
  const log = (line: string): void => {
    if (line.startsWith('warning: ')) warnings.push(line.slice(9));
    job.onLog?.(line);
  };
  const tracker = surgeryTracker(job.onProgress, job.progressIntervalMs);
  const [model, donor] = await Promise.all([loadModel(job.model, signal), loadModel(job.donor, signal)]);
  for (const note of [...(job.model.notes ?? []), ...(job.donor.notes ?? [])]) log(`warning: ${note}`);
  const [origVocab, donorVocab] = await Promise.all([
    readModelVocabulary(model, signal),
    readModelVocabulary(donor, signal),
  ]);
  for (const w of [...origVocab.warnings, ...donorVocab.warnings]) log(`warning: ${w}`);
  const names = embeddingNames(model);
  const donorNames = embeddingNames(donor);
  const headless = headlessWarning(model, names);
  if (headless) log(`warning: ${headless}`);
  const rope = ropeConfigs(
    options.method,
    { config: model.config, width: matrixShape(model, names.embed)[1] },
    { config: donor.config, width: matrixShape(donor, donorNames.embed)[1] },
  );
  checkAbort(signal);

  // The only tensors held whole: MODEL's and the donor's embed and head (a tied donor's
  // embedding stands in for its head).
  const origEmbed = await readMatrix(model, names.embed, signal);
  const origHead = names.lmHead ? await readMatrix(model, names.lmHead, signal) : undefined;
  const donorEmbed = await readMatrix(donor, donorNames.embed, signal);
  const donorHead =
    origHead || options.magikarp
      ? await readMatrix(donor, donorNames.lmHead ?? donorNames.embed, signal)
      : undefined;
  let origTokens: ReadonlyMap<string, number> = origVocab.vocab;
  let junk: number[] = [];
  if (options.magikarp) {
    const f = junkFilter(
      { vocab: origVocab.vocab, embed: origEmbed, lmHead: origHead },
      { vocab: donorVocab.vocab, embed: donorEmbed, lmHead: donorHead },
    );
    log(`magikarp: ${f.origVocab.size} tokens well trained in both models; ${f.junk.length} donor tokens badly trained in both are zeroed`); // prettier-ignore
    origTokens = f.origVocab;
    junk = f.junk;
  }
  checkAbort(signal);
  // subword cuts each new token's text with MODEL's own tokenizer.
  const tokenizer = options.method === 'subword' ? await loadTokenizer(job.model, signal) : undefined;
  const encode = tokenizer && ((text: string): Int32Array => tokenizer.encode(text));
  const matrices = names.lmHead && origHead && donorHead ? 2 : 1;
  const build = (
    name: string,
    orig: Matrix,
    donorMatrix: Matrix,
    to: 'embed' | 'lm_head',
  ): Promise<BuiltEmbedding> => {
    const logged = progressLog(name, log);
    const tracked = tracker.approximating(name, to === 'embed' ? 1 : 2, matrices);
    const progress = (done: number, total: number): void => {
      logged(done, total);
      tracked(done, total);
    };
    return buildEmbedding(
      {
        tensorName: name,
        orig,
        donor: donorMatrix,
        origVocab: origTokens,
        donorVocab: donorVocab.vocab,
        junk,
        allowByte: applies(options.byteMatch, to),
        allowPrefix: applies(options.prefixMatch, to),
        isLmHead: to === 'lm_head',
        ...(encode && { encode }),
        ...(rope && { rope }),
        ...(signal && { signal }),
        onLog: log,
        onProgress: progress,
      },
      options,
    );
  };
  const embed = await build(names.embed, origEmbed, donorEmbed, 'embed');
  const head = names.lmHead;
  const lmHead =
    head && origHead && donorHead ? await build(head, origHead, donorHead, 'lm_head') : undefined;
  const vocabSize = embed.matrix.rows;
  const replaced = new Map<string, Matrix>([[names.embed, embed.matrix]]);
  if (head && lmHead) replaced.set(head, lmHead.matrix);
  const out = await writeOutput({
    model,
    donor,
    sink: job.sink,
    replaced,
    config: outputConfig(model.config, donor.config, vocabSize),
    fingerprintOf: options,
    onTensor: tracker.writing(model.tensors.size),
    ...(job.maxShardBytes !== undefined && { maxShardBytes: job.maxShardBytes }),
    ...(signal && { signal }),
    onLog: log,
  });
  tracker.done();
  return {
    vocabSize,
    embed: { name: names.embed, stats: embed.stats },
    lmHead: head && lmHead ? { name: head, stats: lmHead.stats } : undefined,
    files: out.files,
    tensors: out.tensors,
    resumedShards: out.resumedShards,
    warnings,
    elapsedMs: Date.now() - started,
  };
}
