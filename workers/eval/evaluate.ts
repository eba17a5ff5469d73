/**
 * Perplexity-style evaluation of one model on several texts: the entry point the CLI, the
 * sweeps and the UI's worker share. Texts are tokenised once (`tokenizeTexts`), an evaluator
 * is built once per model shape (`createEvaluator`), and `evaluateTexts` runs the windows.
 */
import { loadModel } from '../io/load-model.ts';
import type { ModelSource } from '../io/source.ts';
import { throwIfAborted } from './errors.ts';
import { textLoss, WINDOW_TOKENS, type TextLoss, type WindowPick } from './loss.ts';
import { Decoder } from './model/decoder.ts';
import { parseDecoderConfig } from './model/decoder-config.ts';
import { readModelWeights, type ModelWeights } from './model/weights.ts';
import { loadTokenizer, type TextTokenizer } from './text/tokenizer.ts';

export interface EvalText {
  readonly name: string;
  readonly ids: Int32Array;
}

export interface TextEvalResult extends TextLoss {
  readonly name: string;
}

export interface EvaluatorOptions {
  /** Tokens per window (default 128). */
  readonly windowTokens?: number;
  /** Windows per forward call (default 4: larger batches measured no faster). */
  readonly batchWindows?: number;
  /** 'js' forces the plain-JS kernels (the reference). */
  readonly backend?: 'auto' | 'js';
}

export interface EvalOptions {
  /** Evaluate only K windows of each text. */
  readonly windows?: number;
  /** Which K windows: the first (default) or evenly spread. */
  readonly pick?: WindowPick;
  readonly windowTokens?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: { readonly text: string; readonly done: number; readonly total: number }) => void;
}

export const DEFAULT_BATCH_WINDOWS = 4;

export function createEvaluator(weights: ModelWeights, options: EvaluatorOptions = {}): Decoder {
  const w = options.windowTokens ?? WINDOW_TOKENS;
  return Decoder.create(weights, {
    maxRows: w * (options.batchWindows ?? DEFAULT_BATCH_WINDOWS),
    context: w,
    ...(options.backend && { backend: options.backend }),
  });
}

export function tokenizeTexts(
  tokenizer: TextTokenizer,
  texts: readonly { readonly name: string; readonly text: string }[],
): EvalText[] {
  return texts.map((t) => ({ name: t.name, ids: tokenizer.encode(t.text) }));
}

export async function evaluateTexts(
  decoder: Decoder,
  texts: readonly EvalText[],
  options: EvalOptions = {},
): Promise<TextEvalResult[]> {
  const out: TextEvalResult[] = [];
  for (const t of texts) {
    throwIfAborted(options.signal);
    const r = await textLoss(decoder, t.ids, {
      ...(options.windows !== undefined && { windows: options.windows }),
      ...(options.pick && { pick: options.pick }),
      ...(options.windowTokens !== undefined && { windowTokens: options.windowTokens }),
      ...(options.signal && { signal: options.signal }),
      ...(options.onProgress && {
        onProgress: (done: number, total: number) => options.onProgress!({ text: t.name, done, total }),
      }),
    });
    out.push({ name: t.name, ...r });
  }
  return out;
}

/** The mean of the texts' losses (each text counts once, whatever its length). */
export function meanLoss(results: readonly { readonly loss: number }[]): number {
  return results.reduce((s, r) => s + r.loss, 0) / results.length;
}

/** A model's weights and tokenizer, read from a folder, a Hub repository or dropped files. */
export async function loadEvalModel(
  source: ModelSource,
  signal?: AbortSignal,
): Promise<{ readonly weights: ModelWeights; readonly tokenizer: TextTokenizer }> {
  const model = await loadModel(source, signal);
  parseDecoderConfig(model.config, source.id); // refuse an unsupported model before reading its weights
  const [weights, tokenizer] = await Promise.all([
    readModelWeights(model, signal),
    loadTokenizer(source, signal),
  ]);
  return { weights, tokenizer };
}
