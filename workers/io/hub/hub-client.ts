/**
 * One Hub connection's settings and policy: the hub URL, the token, the fetch to use, retries,
 * bounded concurrency and the request count. The resolver and the model search both run every
 * @huggingface/hub call through `run`, so each call is retried, limited, counted and logged the
 * same way. Works unchanged in a browser worker and in Node: no node: modules here.
 */
import { SourceError } from '../source.ts';
import { hubFetch, type CallContext, type HubStats } from './hub-fetch.ts';
import { createLimiter } from './limiter.ts';
import { DEFAULT_RETRY, withRetries, type RetryEvent, type RetryPolicy } from './retry.ts';
import { isLoopbackHostname } from '../loopback.ts';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/**
 * 4 operations in flight: enough to hide latency while headers of several models load, few
 * enough that a job stays far below the Hub's resolver rate limit (thousands per 5 minutes).
 */
const DEFAULT_CONCURRENCY = 4;

export interface HubClientOptions {
  /** The Hub or a local hub, e.g. http://127.0.0.1:5174 (default https://huggingface.co). */
  readonly hubUrl?: string;
  /** For gated or private repos; sent only to the hub URL's origin. */
  readonly token?: string;
  /** Defaults to the global fetch; tests inject one. */
  readonly fetch?: typeof fetch;
  readonly retry?: Partial<RetryPolicy>;
  readonly concurrency?: number;
  /** Appended to the gated/private error: how to give a token ("use --token or HF_TOKEN"). */
  readonly tokenHint?: string;
  /**
   * What a read that failed after its last retry tells the user to do (errors.ts READ_ADVICE
   * when absent; a merge gives MERGE_READ_ADVICE).
   */
  readonly readAdvice?: string;
  /** Log lines for the job's log (retries). Never contains the token. */
  readonly onLog?: (line: string) => void;
  readonly onRetry?: (e: RetryEvent) => void;
}

export interface HubClient {
  readonly hubUrl: string;
  readonly stats: Readonly<HubStats>;
  readonly hasToken: boolean;
  /** One Hub operation: limited, retried, counted; errors never carry the token. */
  run<T>(call: CallContext, op: (hubFetch: typeof fetch) => Promise<T>): Promise<T>;
}

export function normalizeHubUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SourceError(
      `hub URL '${url}' is not a URL: give e.g. http://127.0.0.1:5174 or https://huggingface.co`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new SourceError(`hub URL '${url}' must start with http:// or https://`);
  }
  if (u.search || u.hash || u.username || u.password) {
    throw new SourceError(
      `hub URL '${url}' must be a plain address, without ?query, #fragment or user:password`,
    );
  }
  // @huggingface/hub appends "/api/..." to it: no trailing slash.
  return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
}

function checkToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const t = token.trim();
  if (t === '') return undefined;
  // Never echo the token: it may be a secret pasted in the wrong field.
  if (/[\s"']/.test(t))
    throw new SourceError('the Hub token contains spaces or quotes: copy it again from your Hub settings');
  // A header value must be a ByteString: a pasted '…' would make every request throw a TypeError,
  // which looks like a network error and is retried for seconds before a confusing message.
  if (!/^[\x21-\x7e]+$/.test(t))
    throw new SourceError(
      'the Hub token contains characters other than plain ASCII letters, digits and signs ' +
        '(such as an ellipsis or a zero-width space): copy it again from your Hub settings',
    );
  return t;
}

/** A token goes in cleartext over http://: allow that only to this machine. */
export function checkTokenTransport(hubUrl: string, token: string | undefined): void {
  if (token === undefined) return;
  const u = new URL(hubUrl);
  if (u.protocol === 'http:' && !isLoopbackHostname(u.hostname)) {
    throw new SourceError(
      `the Hub token would be sent unencrypted to ${u.origin}: a token goes only to an https:// hub ` +
        `or one on this machine (127.0.0.1, ::1, localhost); use https:// or remove the token`,
    );
  }
}

/** Replaces the token in a message, should a server ever echo it back. */
export function redact<E>(e: E, token: string | undefined): E {
  if (token && e instanceof Error && e.message.includes(token)) {
    e.message = e.message.split(token).join('hf_***');
  }
  return e;
}

export function createHubClient(opts: HubClientOptions = {}): HubClient {
  const hubUrl = normalizeHubUrl(opts.hubUrl ?? DEFAULT_HUB_URL);
  const token = checkToken(opts.token);
  checkTokenTransport(hubUrl, token);
  const stats: HubStats = { requests: 0, retries: 0 };
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const limit = createLimiter(opts.concurrency ?? DEFAULT_CONCURRENCY);
  const baseFetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const ctx = { hubUrl, token, fetch: baseFetch, stats, tokenHint: opts.tokenHint };
  const onRetry = (e: RetryEvent): void => {
    stats.retries++;
    opts.onRetry?.(e);
    opts.onLog?.(
      redact(
        new Error(
          `hub: ${e.what}: ${e.reason}; try ${e.attempt + 1} of ${e.of} in ${(e.delayMs / 1000).toFixed(1)} s`,
        ),
        token,
      ).message,
    );
  };
  return {
    hubUrl,
    stats,
    hasToken: token !== undefined,
    run: (call, op) =>
      limit(() =>
        withRetries(call.what, policy, () => op(hubFetch(ctx, call)), {
          ...(call.signal && { signal: call.signal }),
          ...(opts.readAdvice !== undefined && { advice: opts.readAdvice }),
          onRetry,
        }),
      ).catch((e: unknown) => {
        throw redact(e, token);
      }),
  };
}
