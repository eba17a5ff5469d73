/**
 * Retries for Hub requests: network errors, 5xx, 429 and short bodies are tried again after an
 * exponential backoff with jitter (so many readers that failed together do not come back
 * together), waiting at least what Retry-After asks. Everything else (401, 404, a changed ETag)
 * fails at once. After the last try the error names what was read (model, file, byte range).
 */
import { describe, HubReadError, HubTransientError } from './errors.ts';

export interface RetryPolicy {
  /** Total tries, the first included. */
  readonly attempts: number;
  /** Backoff before the first retry; doubles each time, up to `maxMs`. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** A Retry-After longer than this is cut to it (a misconfigured server should not stall a job for hours). */
  readonly maxRetryAfterMs: number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** In [0, 1): the jitter. Injectable so tests can pin it. */
  readonly random: () => number;
}

export interface RetryEvent {
  /** "tinymix-code/model.safetensors bytes 0-262143". */
  readonly what: string;
  /** The try that failed (1-based) and the number of tries allowed. */
  readonly attempt: number;
  readonly of: number;
  readonly delayMs: number;
  readonly reason: string;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** 6 tries over about 0.5 + 1 + 2 + 4 + 8 s: rides out a minute-long blip, gives up on a dead host. */
export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 6,
  baseMs: 500,
  maxMs: 16_000,
  maxRetryAfterMs: 120_000,
  sleep: abortableSleep,
  random: Math.random,
};

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** "Equal jitter": half the exponential step fixed, half random. */
export function backoffMs(retry: number, policy: RetryPolicy): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1));
  return step / 2 + policy.random() * (step / 2);
}

export function isRetryable(e: unknown): boolean {
  if (e instanceof HubTransientError) return true;
  // fetch rejects with a TypeError on network failures, in browsers and in Node (undici),
  // and reading a body cut off mid-way rejects with one too ("terminated").
  if (e instanceof TypeError) return true;
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && (status === 429 || status >= 500);
}

export async function withRetries<T>(
  what: string,
  policy: RetryPolicy,
  op: (attempt: number) => Promise<T>,
  opts: {
    readonly signal?: AbortSignal;
    readonly onRetry?: (e: RetryEvent) => void;
    /** What the final error tells the user to do (HubReadError's default when absent). */
    readonly advice?: string;
  } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? e;
      if (!isRetryable(e)) throw e;
      if (attempt >= policy.attempts) throw new HubReadError(what, attempt, e, opts.advice);
      const asked = e instanceof HubTransientError ? e.retryAfterMs : undefined;
      const delayMs = Math.max(
        backoffMs(attempt, policy),
        asked === undefined ? 0 : Math.min(asked, policy.maxRetryAfterMs),
      );
      opts.onRetry?.({ what, attempt, of: policy.attempts, delayMs, reason: describe(e) });
      await policy.sleep(delayMs, opts.signal);
    }
  }
}
