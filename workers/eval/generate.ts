/**
 * Text generation from a model in memory ("try it" on a merge before saving it): greedy or
 * seeded top-k sampling, with a KV cache so each new token costs one row through the model.
 * The prompt is fed in chunks of the evaluator's rows; generation stops at an end-of-sequence
 * token, after `maxNewTokens`, or when the context is full. Sampling uses the engine's
 * counter-based RNG, so a seed gives the same text on every backend.
 */
import { mix32, uniformAt } from '../rng.ts';
import { EvalInputError, throwIfAborted } from './errors.ts';
import { Decoder } from './model/decoder.ts';
import type { ModelWeights } from './model/weights.ts';
import { nextMacrotask } from './scheduling.ts';
import type { TextTokenizer } from './text/tokenizer.ts';

export type Sampling =
  | { readonly kind: 'greedy' }
  | { readonly kind: 'top-k'; readonly k: number; readonly temperature?: number; readonly seed: number };

export interface GenerateOptions {
  readonly maxNewTokens: number;
  /** Default greedy. */
  readonly sampling?: Sampling;
  /** Tokens that end the text (default: config.json's eos_token_id). Not included in the output. */
  readonly stopIds?: readonly number[];
  readonly signal?: AbortSignal;
  /** Each new token as it is chosen (streaming). */
  readonly onToken?: (id: number) => void;
}

export interface Generation {
  /** The new tokens (the prompt and the stop token excluded). */
  readonly ids: readonly number[];
  readonly stop: 'eos' | 'length' | 'context';
}

/** Prompt rows per forward call. */
const PREFILL_ROWS = 128;
/** Default context cap: the scores buffer grows with its square (2048: 16 MB). */
const MAX_DEFAULT_CONTEXT = 2048;

/**
 * An evaluator with a KV cache for one sequence of up to `context` positions (default: the
 * model's max_position_embeddings, at most 2048).
 */
export function createGenerator(weights: ModelWeights, context?: number, backend?: 'auto' | 'js'): Decoder {
  const trained = weights.config['max_position_embeddings'];
  context ??= Math.min(
    MAX_DEFAULT_CONTEXT,
    typeof trained === 'number' && trained > 0 ? trained : MAX_DEFAULT_CONTEXT,
  );
  return Decoder.create(weights, {
    maxRows: Math.min(PREFILL_ROWS, context),
    context,
    cache: true,
    ...(backend && { backend }),
  });
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

/** Samples from the softmax of the k largest logits at temperature t, with uniform u in [0, 1). */
export function sampleTopK(logits: Float32Array, k: number, temperature: number, u: number): number {
  const top: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    if (top.length < k) top.push(i);
    else if (logits[i]! > logits[top[top.length - 1]!]!) top[top.length - 1] = i;
    else continue;
    // keep `top` sorted by logit, largest first (insertion step; k is small)
    for (let j = top.length - 1; j > 0 && logits[top[j]!]! > logits[top[j - 1]!]!; j--) {
      [top[j], top[j - 1]] = [top[j - 1]!, top[j]!];
    }
  }
  const max = logits[top[0]!]!;
  const w = top.map((i) => Math.exp((logits[i]! - max) / temperature));
  let r = u * w.reduce((s, x) => s + x, 0);
  for (let j = 0; j < top.length; j++) {
    r -= w[j]!;
    if (r < 0) return top[j]!;
  }
  return top[top.length - 1]!;
}

function eosIds(config: Readonly<Record<string, unknown>>): number[] {
  const e = config['eos_token_id'];
  return typeof e === 'number'
    ? [e]
    : Array.isArray(e)
      ? e.filter((x): x is number => typeof x === 'number')
      : [];
}

export async function generate(
  decoder: Decoder,
  prompt: ArrayLike<number>,
  config: Readonly<Record<string, unknown>>,
  options: GenerateOptions,
): Promise<Generation> {
  const sampling = options.sampling ?? { kind: 'greedy' };
  if (sampling.kind === 'top-k' && !(Number.isInteger(sampling.k) && sampling.k >= 1)) {
    throw new EvalInputError(`top-k needs k >= 1 (got ${sampling.k})`);
  }
  if (prompt.length === 0) throw new EvalInputError('the prompt has no tokens');
  if (!(Number.isInteger(options.maxNewTokens) && options.maxNewTokens >= 1)) {
    throw new EvalInputError(`maxNewTokens must be a positive integer (got ${options.maxNewTokens})`);
  }
  const context = decoder.options.context;
  if (prompt.length >= context) {
    throw new EvalInputError(`the prompt has ${prompt.length} tokens; this generator holds ${context}`);
  }
  const stop = new Set(options.stopIds ?? eosIds(config));
  const key = sampling.kind === 'top-k' ? mix32(sampling.seed >>> 0) : 0;
  const hidden = decoder.config.hidden;
  decoder.resetCache();
  let last: Float32Array | undefined;
  for (let p = 0; p < prompt.length; p += decoder.options.maxRows) {
    const chunk = Array.from(
      { length: Math.min(decoder.options.maxRows, prompt.length - p) },
      (_, i) => prompt[p + i]!,
    );
    last = decoder.forward(chunk, 1, chunk.length).subarray((chunk.length - 1) * hidden);
  }
  const ids: number[] = [];
  for (;;) {
    throwIfAborted(options.signal);
    const logits = decoder.logits(last!, 1);
    const id =
      sampling.kind === 'greedy'
        ? argmax(logits)
        : sampleTopK(logits, sampling.k, sampling.temperature ?? 1, uniformAt(key, ids.length));
    if (stop.has(id)) return { ids, stop: 'eos' };
    ids.push(id);
    options.onToken?.(id);
    if (ids.length >= options.maxNewTokens) return { ids, stop: 'length' };
    if (decoder.cacheLength >= context) return { ids, stop: 'context' };
    last = decoder.forward([id], 1, 1);
    if (options.signal || options.onToken) await nextMacrotask();
  }
}

/** Generates from a text prompt; `bos` (default config.json's bos_token_id) is put in front. */
export async function generateText(
  decoder: Decoder,
  tokenizer: TextTokenizer,
  config: Readonly<Record<string, unknown>>,
  prompt: string,
  options: GenerateOptions & { readonly bos?: number | null },
): Promise<Generation & { readonly text: string }> {
  const bos = options.bos === undefined ? config['bos_token_id'] : options.bos;
  const ids = [...(typeof bos === 'number' ? [bos] : []), ...tokenizer.encode(prompt)];
  const g = await generate(decoder, ids, config, options);
  return { ...g, text: tokenizer.decode(g.ids) };
}
